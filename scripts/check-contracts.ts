/**
 * CI check of the contracts in schemas/:
 * - every version of every event schema can read data written with every other version, both
 *   ways (FULL_TRANSITIVE), because events are replayed forever and old and new consumers run
 *   side by side during a rolling deploy;
 * - the file name matches the record name (Name.vN.avsc);
 * - no two files define the same schema twice under different names.
 */
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry, compatibilityProblems } from '../packages/backbone/src/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const registry = SchemaRegistry.fromDirectory(join(root, 'schemas'));
const problems = compatibilityProblems(registry);
const seen = new Map<string, string>();
for (const e of registry.entries()) {
  const base = basename(e.file).replace(/\.v\d+\.avsc$/, '');
  if (!e.name.endsWith(`.${base}`)) problems.push(`${e.file}: file name does not match the record name ${e.name}`);
  const other = seen.get(e.fingerprintHex);
  if (other !== undefined) problems.push(`${e.file} and ${other} have the same fingerprint`);
  seen.set(e.fingerprintHex, e.file);
}
if (problems.length > 0) {
  console.error(`schema problems:\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
console.log(`schemas ok: ${registry.entries().length} files, every version compatible both ways`);
