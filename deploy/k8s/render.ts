/**
 * Renders the plain-manifest install of deploy/k8s from the Helm chart, so that the two never
 * drift (charts/govmesh/chart.unit.test.ts fails when the committed files are stale):
 *
 *   node_modules/.bin/node deploy/k8s/render.ts          # rewrite the generated files
 *   node_modules/.bin/node deploy/k8s/render.ts --check  # exit 1 if they are stale
 *
 * govmesh.yaml gets everything but the KafkaTopics, which go to topics/kafka-topics.yaml: the
 * topics are applied on their own and never deleted together with the services (deleting a
 * KafkaTopic makes the Strimzi Topic Operator delete the topic and its events).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RELEASE = 'govmesh';
export const NAMESPACE = 'govmesh';
export const VALUES = 'deploy/k8s/values-dev-national.yaml';
export const OUTPUTS = { services: 'deploy/k8s/govmesh.yaml', topics: 'deploy/k8s/topics/kafka-topics.yaml' } as const;

const helm = (args: string[]): string => {
  const r = spawnSync('bash', [join(ROOT, 'scripts/helm'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
};

const banner = (what: string) =>
  [
    `# ${what}`,
    `# GENERATED from charts/govmesh with ${VALUES} by deploy/k8s/render.ts: do not edit by hand.`,
    `# (helm template ${RELEASE} charts/govmesh --namespace ${NAMESPACE} -f ${VALUES})`,
    '',
  ].join('\n');

/** The generated files' contents, keyed by path. */
export const renderPlainManifests = (): Record<string, string> => {
  helm(['dependency', 'build', 'charts/govmesh', '--skip-refresh']);
  const out = helm(['template', RELEASE, 'charts/govmesh', '--namespace', NAMESPACE, '-f', VALUES]);
  const docs = out.split(/^---\s*$/m).map((d) => d.trim()).filter((d) => /^kind:/m.test(d));
  const isTopic = (d: string) => /^kind: KafkaTopic$/m.test(d);
  const join_ = (ds: string[]) => ds.map((d) => `---\n${d}\n`).join('');
  return {
    [OUTPUTS.services]: banner('govmesh services of the development national platform') + join_(docs.filter((d) => !isTopic(d))),
    [OUTPUTS.topics]: banner('Kafka topics (Strimzi KafkaTopic) of the development national platform') + join_(docs.filter(isTopic)),
  };
};

if (import.meta.main) {
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [path, text] of Object.entries(renderPlainManifests())) {
    const file = join(ROOT, path);
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing: stale
    }
    if (current === text) continue;
    stale = true;
    if (check) console.error(`${path} is stale: run node_modules/.bin/node deploy/k8s/render.ts`);
    else {
      writeFileSync(file, text);
      console.log(`wrote ${path}`);
    }
  }
  if (check && stale) process.exit(1);
}
