/**
 * Issues a department token signed with the platform's private key.
 * Usage: node scripts/token.ts <department-id> [--platform national] [--key deploy/dev/dev-token-key.pem] [--ttl 43200]
 * The default key is the development key: never use it outside a developer machine. Services refuse
 * a token that lives longer than TOKEN_MAX_LIFETIME_S (12 h by default): the default ttl is that bound.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { issueToken } from '../packages/backbone/src/identity/token.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { platform: { type: 'string', default: 'national' }, key: { type: 'string', default: 'deploy/dev/dev-token-key.pem' }, ttl: { type: 'string', default: '43200' } },
});
const dept = positionals[0];
if (dept === undefined) {
  console.error('usage: node scripts/token.ts <department-id> [--platform P] [--key FILE] [--ttl SECONDS]');
  process.exit(2);
}
console.log(issueToken(readFileSync(values.key, 'utf8'), { sub: dept, plt: values.platform, ttlSeconds: Number(values.ttl) }));
