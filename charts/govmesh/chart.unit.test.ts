/**
 * The govmesh Helm chart, tested offline: `helm lint --strict` and `helm template` (helm from the
 * npm devDependency, through scripts/helm) with the value fixtures in ci/, the YAML parsed and real
 * fields asserted; the rendered core objects validated with kubernetes-models, the KafkaTopics with
 * a JSON Schema; bad values must be refused by values.schema.json or by the templates.
 * Also: deploy/k8s (rendered from this chart) must be fresh, and the Dockerfile's layout must be
 * the one the chart relies on.
 *
 *   node_modules/.bin/node --test charts/govmesh/chart.unit.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadPlatformSchedules, parsePlatformFile, tokenKeys } from '../../packages/backbone/src/identity/platform.ts';
import { TEST_SCHEDULE_2027_PATH } from '../../packages/backbone/src/testing/calendar.ts';
import { OUTPUTS, renderPlainManifests } from '../../deploy/k8s/render.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHART = 'charts/govmesh';
const FIXTURES = {
  national: `${CHART}/ci/national-values.yaml`,
  regional: `${CHART}/ci/regional-strimzi-values.yaml`,
  auditDisabled: `${CHART}/ci/audit-disabled-values.yaml`,
} as const;
const RELEASE = 'gm';
const NAMESPACE = 'govmesh-test';

// ---------------------------------------------------------------------------------------------
// helm

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
const helm = (...args: string[]): Run => {
  const r = spawnSync('bash', [join(ROOT, 'scripts/helm'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

const parseDocs = (text: string): K8sObject[] =>
  parseAllDocuments(text)
    .map((d) => {
      assert.equal(d.errors.length, 0, `YAML errors: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((d): d is K8sObject => d !== null);

const template = (fixture: string | null, ...extra: string[]): K8sObject[] => {
  const args = ['template', RELEASE, CHART, '--namespace', NAMESPACE, ...(fixture ? ['-f', fixture] : []), ...extra];
  const r = helm(...args);
  assert.equal(r.status, 0, `helm ${args.join(' ')} failed:\n${r.stderr}`);
  return parseDocs(r.stdout);
};

/** Renders expecting failure; returns helm's error output. */
const templateFails = (fixture: string | null, ...extra: string[]): string => {
  const r = helm('template', RELEASE, CHART, '--namespace', NAMESPACE, ...(fixture ? ['-f', fixture] : []), ...extra);
  assert.notEqual(r.status, 0, `expected helm template ${extra.join(' ')} to fail, it rendered:\n${r.stdout.slice(0, 400)}`);
  return r.stderr;
};

const ofKind = (docs: K8sObject[], kind: string) => docs.filter((d) => d.kind === kind);
const named = (docs: K8sObject[], kind: string, name: string): K8sObject => {
  const found = docs.find((d) => d.kind === kind && d.metadata.name === name);
  assert.ok(found, `no ${kind} ${name} in: ${docs.map((d) => `${d.kind}/${d.metadata.name}`).join(', ')}`);
  return found;
};
const container = (deployment: K8sObject): any => deployment.spec.template.spec.containers[0];
const env = (deployment: K8sObject): Map<string, { value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }> =>
  new Map(container(deployment).env.map((e: { name: string }) => [e.name, e]));
const envValue = (deployment: K8sObject, name: string): string | undefined => env(deployment).get(name)?.value;

const STANDARD_LABEL_KEYS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/version',
  'helm.sh/chart',
];
const chartVersion = (): string => (parseYaml(readFileSync(join(ROOT, CHART, 'Chart.yaml'), 'utf8')) as { version: string }).version;
const selectorOf = (component: string) => ({
  'app.kubernetes.io/name': 'govmesh',
  'app.kubernetes.io/instance': RELEASE,
  'app.kubernetes.io/component': component,
});

/** The env every service gets; services add their own keys (see expectedEnvNames). */
const COMMON_ENV = [
  'NODE_ENV', 'SERVICE_NAME', 'PLATFORM_ID', 'PLATFORM_CONFIG', 'SCHEMAS_DIR', 'KAFKA_BROKERS', 'DATABASE_URL', 'HOST', 'HTTP_PORT',
  'GRPC_PORT', 'LOG_LEVEL', 'OUTBOX_POLL_MS', 'OUTBOX_BATCH', 'CONSUMER_MAX_ATTEMPTS', 'CONSUMER_SESSION_TIMEOUT_MS', 'SHUTDOWN_GRACE_MS',
  'CONSUMER_GROUP_PREFIX',
];
const SERVICE_ENV: Record<string, string[]> = {
  catalog: ['DEADLINE_SCAN_MS'],
  request: ['DEADLINE_SCAN_MS', 'UNCONDITIONAL_AUTO_GRANT'],
  audit: ['AUDIT_DB_SCHEMA', 'LEDGER_SIGNING_KEY_FILE', 'LEDGER_DEV_KEY'],
};
const expectedEnvNames = (service: string, extra: string[] = []): string[] => [...COMMON_ENV, ...(SERVICE_ENV[service] ?? []), ...extra].sort();

const assertValidCoreObjects = (docs: K8sObject[]) => {
  const models: Record<string, new (o: never) => { validate(): void }> = { Deployment, Service, ConfigMap, ServiceAccount, PodDisruptionBudget };
  for (const d of docs) {
    const Model = models[d.kind];
    if (Model === undefined) continue;
    assert.doesNotThrow(() => new Model(d as never).validate(), `${d.kind}/${d.metadata.name} is not a valid ${d.kind}`);
  }
};

/** A strict schema of the KafkaTopic we render (Strimzi kafka.strimzi.io/v1: spec is required). */
const kafkaTopicSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'kafka.strimzi.io/v1' },
    kind: { const: 'KafkaTopic' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'namespace', 'labels', 'annotations'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 },
        namespace: { type: 'string', minLength: 1 },
        labels: {
          type: 'object',
          required: ['strimzi.io/cluster'],
          properties: { 'strimzi.io/cluster': { type: 'string', minLength: 1 } },
          additionalProperties: { type: 'string' },
        },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['topicName', 'partitions', 'replicas', 'config'],
      properties: {
        topicName: { type: 'string', pattern: '^[a-zA-Z0-9._-]{1,249}$' },
        partitions: { type: 'integer', minimum: 1 },
        replicas: { type: 'integer', minimum: 1, maximum: 32767 },
        config: {
          type: 'object',
          additionalProperties: false,
          required: ['cleanup.policy', 'retention.ms', 'min.insync.replicas'],
          properties: {
            'cleanup.policy': { const: 'delete' },
            'retention.ms': { type: 'string', pattern: '^(-1|[0-9]+)$' },
            'min.insync.replicas': { type: 'string', pattern: '^[1-9][0-9]*$' },
          },
        },
      },
    },
  },
} as const;
const validateKafkaTopic = new Ajv({ allErrors: true, strict: true }).compile(kafkaTopicSchema);

// ---------------------------------------------------------------------------------------------

before(() => {
  const r = helm('dependency', 'build', CHART, '--skip-refresh');
  assert.equal(r.status, 0, `helm dependency build failed:\n${r.stderr}`);
});

describe('helm lint --strict', () => {
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    test(`passes with ci/${fixture.split('/').pop()} (${name})`, () => {
      const r = helm('lint', '--strict', CHART, '-f', fixture);
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }

  test('fails on the bare defaults: departments and the token key have no default', () => {
    const r = helm('lint', '--strict', CHART);
    assert.notEqual(r.status, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, /platform\.departments: Array must have at least 1 items/);
    assert.match(out, /platform\.tokenPublicKeyPem: Does not match pattern/);
  });

  test('the library chart lints', () => {
    const r = helm('lint', '--strict', 'charts/govmesh-common');
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  });
});

describe('national platform, chart defaults (ci/national-values.yaml)', () => {
  let docs: K8sObject[];
  before(() => {
    docs = template(FIXTURES.national);
  });

  test('renders exactly the expected objects: catalog, request, exchange and audit; no topics, no ServiceMonitor', () => {
    const got = docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    const expected = [
      'ConfigMap/gm-govmesh-platform',
      'ServiceAccount/gm-govmesh',
      ...['catalog', 'request', 'exchange', 'audit'].flatMap((s) => [`Deployment/gm-govmesh-${s}`, `Service/gm-govmesh-${s}`, `PodDisruptionBudget/gm-govmesh-${s}`]),
    ].sort();
    assert.deepEqual(got, expected);
    for (const d of docs) assert.equal(d.metadata.namespace, NAMESPACE, `${d.kind}/${d.metadata.name} namespace`);
  });

  test('every object has the standard labels, part-of govmesh and (per service) its component', () => {
    for (const d of docs) {
      const labels = d.metadata.labels ?? {};
      for (const key of STANDARD_LABEL_KEYS) assert.ok(labels[key], `${d.kind}/${d.metadata.name} lacks ${key}`);
      assert.equal(labels['app.kubernetes.io/name'], 'govmesh');
      assert.equal(labels['app.kubernetes.io/instance'], RELEASE);
      assert.equal(labels['app.kubernetes.io/managed-by'], 'Helm');
      assert.equal(labels['app.kubernetes.io/part-of'], 'govmesh');
      assert.equal(labels['helm.sh/chart'], `govmesh-${chartVersion()}`);
    }
    for (const s of ['catalog', 'request', 'audit']) {
      for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget']) {
        assert.equal(named(docs, kind, `gm-govmesh-${s}`).metadata.labels?.['app.kubernetes.io/component'], s);
      }
    }
    assert.equal(named(docs, 'ConfigMap', 'gm-govmesh-platform').metadata.labels?.['app.kubernetes.io/component'], 'platform');
  });

  test('selectors hold only name, instance and component, and Service, PDB and pods agree', () => {
    for (const s of ['catalog', 'request', 'audit']) {
      const dep = named(docs, 'Deployment', `gm-govmesh-${s}`);
      assert.deepEqual(dep.spec.selector.matchLabels, selectorOf(s));
      assert.deepEqual(named(docs, 'Service', `gm-govmesh-${s}`).spec.selector, selectorOf(s));
      assert.deepEqual(named(docs, 'PodDisruptionBudget', `gm-govmesh-${s}`).spec.selector.matchLabels, selectorOf(s));
      const podLabels = dep.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(selectorOf(s))) assert.equal(podLabels[k], v, `pod label ${k}`);
      assert.equal(podLabels['app.kubernetes.io/part-of'], 'govmesh');
    }
  });

  test('each container runs its own service from the one image, with the expected environment', () => {
    for (const s of ['catalog', 'request', 'audit']) {
      const dep = named(docs, 'Deployment', `gm-govmesh-${s}`);
      const c = container(dep);
      assert.equal(c.name, s);
      assert.equal(c.image, 'govmesh/govmesh:0.1.0');
      assert.equal(c.command, undefined, 'the image entrypoint (node) is kept');
      assert.deepEqual(c.args, [`services/${s}/src/main.ts`]);
      assert.deepEqual([...env(dep).keys()].sort(), expectedEnvNames(s));
      assert.equal(envValue(dep, 'SERVICE_NAME'), s);
      assert.equal(envValue(dep, 'PLATFORM_ID'), 'national');
      assert.equal(envValue(dep, 'KAFKA_BROKERS'), 'kafka-0.kafka.svc:9092,kafka-1.kafka.svc:9092');
      assert.deepEqual(env(dep).get('DATABASE_URL'), { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'govmesh-database', key: 'url' } } });
      assert.equal(envValue(dep, 'HOST'), '0.0.0.0', 'the default HOST (127.0.0.1) would fail every probe');
      assert.equal(envValue(dep, 'HTTP_PORT'), '8080');
      assert.equal(envValue(dep, 'GRPC_PORT'), '9090');
      assert.equal(envValue(dep, 'LOG_LEVEL'), 'info');
      assert.equal(envValue(dep, 'SHUTDOWN_GRACE_MS'), '10000');
      assert.equal(envValue(dep, 'CONSUMER_GROUP_PREFIX'), s);
      assert.equal(envValue(dep, 'SCHEMAS_DIR'), '/app/schemas');
      assert.deepEqual(c.ports, [
        { name: 'http', containerPort: 8080, protocol: 'TCP' },
        { name: 'grpc', containerPort: 9090, protocol: 'TCP' },
      ]);
    }
    assert.equal(envValue(named(docs, 'Deployment', 'gm-govmesh-catalog'), 'DEADLINE_SCAN_MS'), '5000');
    assert.ok(existsSync(join(ROOT, 'services/catalog/src/main.ts')), 'the catalog entry point the chart runs exists');
  });

  test('probes: startup and liveness on /healthz, readiness on /readyz, all on the http port', () => {
    for (const s of ['catalog', 'request', 'audit']) {
      const c = container(named(docs, 'Deployment', `gm-govmesh-${s}`));
      assert.deepEqual(c.startupProbe.httpGet, { path: '/healthz', port: 'http' });
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
      assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 60, 'startup covers migrations and Kafka');
    }
  });

  test('hardened: non-root, read-only root filesystem, no capabilities, no API token', () => {
    for (const s of ['catalog', 'request', 'audit']) {
      const pod = named(docs, 'Deployment', `gm-govmesh-${s}`).spec.template.spec;
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0);
      assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
      assert.equal(pod.automountServiceAccountToken, false);
      const sc = pod.containers[0].securityContext;
      assert.equal(sc.runAsNonRoot, true);
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.deepEqual(sc.capabilities.drop, ['ALL']);
      assert.equal(sc.capabilities.add, undefined);
      const tmp = pod.containers[0].volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
      assert.ok(tmp, 'a writable /tmp (emptyDir) next to the read-only root');
      assert.ok(pod.volumes.find((v: { name: string; emptyDir?: object }) => v.name === tmp.name && v.emptyDir));
      const res = pod.containers[0].resources;
      assert.ok(res.requests.cpu && res.requests.memory && res.limits.memory, 'requests and a memory limit');
    }
    assert.equal(named(docs, 'ServiceAccount', 'gm-govmesh').spec, undefined);
    assert.equal((named(docs, 'ServiceAccount', 'gm-govmesh') as unknown as { automountServiceAccountToken: boolean }).automountServiceAccountToken, false);
  });

  test('graceful termination: the grace period outlasts the preStop sleep plus SHUTDOWN_GRACE_MS', () => {
    for (const s of ['catalog', 'request', 'audit']) {
      const dep = named(docs, 'Deployment', `gm-govmesh-${s}`);
      const pod = dep.spec.template.spec;
      const preStop = Number(pod.containers[0].lifecycle.preStop.exec.command[1]);
      assert.deepEqual(pod.containers[0].lifecycle.preStop.exec.command, ['sleep', '5']);
      assert.ok(pod.terminationGracePeriodSeconds * 1000 > preStop * 1000 + Number(envValue(dep, 'SHUTDOWN_GRACE_MS')));
      assert.equal(pod.terminationGracePeriodSeconds, 20);
    }
    assert.deepEqual(named(docs, 'Deployment', 'gm-govmesh-catalog').spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    assert.deepEqual(named(docs, 'Deployment', 'gm-govmesh-audit').spec.strategy, { type: 'Recreate' }, 'one audit writer at a time');
    assert.equal(named(docs, 'Deployment', 'gm-govmesh-audit').spec.replicas, 1);
    assert.equal(named(docs, 'Deployment', 'gm-govmesh-catalog').spec.replicas, 2);
  });

  test('the platform ConfigMap holds a platform file the services accept, mounted where PLATFORM_CONFIG points', () => {
    const cm = named(docs, 'ConfigMap', 'gm-govmesh-platform');
    const file = JSON.parse(cm.data?.['platform.json'] ?? 'null');
    const parsed = parsePlatformFile(file, 'rendered platform.json'); // the services' own validation
    assert.deepEqual(file.platform, { id: 'national', name: 'National government big-data platform (development)', kind: 'national', regionCode: '100000' });
    assert.deepEqual(
      file.departments.map((d: { id: string }) => d.id),
      ['dept-data-bureau', 'dept-public-security', 'dept-civil-affairs', 'dept-human-resources', 'dept-audit-office'],
    );
    assert.deepEqual(file.departments[0].roles, ['competent', 'auditor', 'operator']);
    assert.deepEqual(file.calendar, { holidays: [], workdays: [] });
    assert.match(parsed.auth.tokenPublicKeyPem, /^-----BEGIN PUBLIC KEY-----\n.+\n-----END PUBLIC KEY-----\n$/);
    // Same departments as the development platform file.
    const dev = JSON.parse(readFileSync(join(ROOT, 'deploy/dev/platform.json'), 'utf8'));
    assert.deepEqual(file.auth, dev.auth);

    for (const s of ['catalog', 'request', 'audit']) {
      const dep = named(docs, 'Deployment', `gm-govmesh-${s}`);
      const pod = dep.spec.template.spec;
      const path = envValue(dep, 'PLATFORM_CONFIG') ?? '';
      const mount = pod.containers[0].volumeMounts.find((m: { mountPath: string }) => path.startsWith(`${m.mountPath}/`));
      assert.ok(mount, `PLATFORM_CONFIG ${path} is on a mounted volume`);
      assert.equal(mount.readOnly, true);
      const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
      assert.equal(volume.configMap.name, cm.metadata.name);
      assert.deepEqual(volume.configMap.items, [{ key: 'platform.json', path: path.slice(mount.mountPath.length + 1) }]);
      assert.match(dep.spec.template.metadata.annotations['checksum/platform'], /^[0-9a-f]{64}$/, 'a platform change rolls the pods');
    }
  });

  test('SEC-14: during a token key rotation the platform file lists the second key (platform.additionalTokenPublicKeyPems), and the services accept both; a private key is refused', () => {
    const next = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n';
    const rotating = template(FIXTURES.national, '--set-json', `platform.additionalTokenPublicKeyPems=${JSON.stringify([next])}`);
    const file = JSON.parse(named(rotating, 'ConfigMap', 'gm-govmesh-platform').data?.['platform.json'] ?? 'null');
    assert.deepEqual(tokenKeys(parsePlatformFile(file, 'rendered platform.json')), [file.auth.tokenPublicKeyPem, next]);
    // Without one, the auth section is the development platform's (checked above): no empty list.
    assert.deepEqual(Object.keys(JSON.parse(named(docs, 'ConfigMap', 'gm-govmesh-platform').data?.['platform.json'] ?? 'null').auth), ['tokenPublicKeyPem']);
    assert.match(templateFails(FIXTURES.national, '--set-json', 'platform.additionalTokenPublicKeyPems=["-----BEGIN PRIVATE KEY-----"]'), /additionalTokenPublicKeyPems\.0: Does not match pattern/);
  });

  test('exchange: the masking key Secret is mounted read-only, MASKING_KEY_FILE points at it, never the development key', () => {
    const dep = named(docs, 'Deployment', 'gm-govmesh-exchange');
    const pod = dep.spec.template.spec;
    const volume = pod.volumes.find((v: { secret?: { secretName: string } }) => v.secret?.secretName === 'govmesh-exchange-masking-key');
    assert.ok(volume, 'the masking key Secret is a volume');
    assert.deepEqual(volume.secret.items, [{ key: 'masking.key', path: 'masking.key' }]);
    const mount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === volume.name);
    assert.equal(mount.readOnly, true);
    assert.equal(envValue(dep, 'MASKING_KEY_FILE'), `${mount.mountPath}/masking.key`);
    assert.equal(envValue(dep, 'MASKING_DEV_KEY'), 'false', 'pseudonyms are never keyed by the development key in a cluster');
    assert.equal(envValue(dep, 'UPLOAD_MAX_BYTES'), '1073741824');
  });

  test('exchange: the file signing key Secret is mounted read-only and FILE_SIGNING_KEY_FILE points at it, never the development key; FILES_DIR is the shared claim', () => {
    const dep = named(docs, 'Deployment', 'gm-govmesh-exchange');
    const pod = dep.spec.template.spec;
    const volume = pod.volumes.find((v: { secret?: { secretName: string } }) => v.secret?.secretName === 'govmesh-exchange-file-signing-key');
    assert.ok(volume, 'the file signing key Secret is a volume');
    assert.deepEqual(volume.secret.items, [{ key: 'file-signing.key', path: 'file-signing.key' }]);
    const mount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === volume.name);
    assert.equal(mount.readOnly, true);
    assert.equal(envValue(dep, 'FILE_SIGNING_KEY_FILE'), `${mount.mountPath}/file-signing.key`);
    assert.equal(envValue(dep, 'FILE_SIGNING_DEV_KEY'), 'false', 'manifests are never signed with the development key in a cluster');
    assert.equal(envValue(dep, 'FILE_LINK_TTL_S'), '3600');
    const files = pod.volumes.find((v: { name: string }) => v.name === 'files');
    assert.deepEqual(files.persistentVolumeClaim, { claimName: 'govmesh-exchange-files' }, 'two replicas share one volume: a link works on either');
    const filesMount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'files');
    assert.equal(envValue(dep, 'FILES_DIR'), filesMount.mountPath);
    assert.notEqual(filesMount.readOnly, true);
  });

  test('audit: the ledger key Secret is mounted read-only, LEDGER_SIGNING_KEY_FILE points at it, no dev key', () => {
    const dep = named(docs, 'Deployment', 'gm-govmesh-audit');
    const pod = dep.spec.template.spec;
    const volume = pod.volumes.find((v: { secret?: { secretName: string } }) => v.secret?.secretName === 'govmesh-audit-signing-key');
    assert.ok(volume, 'the signing key Secret is a volume');
    assert.deepEqual(volume.secret.items, [{ key: 'signing.key', path: 'signing.key' }]);
    const mount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === volume.name);
    assert.equal(mount.readOnly, true);
    assert.equal(envValue(dep, 'LEDGER_SIGNING_KEY_FILE'), `${mount.mountPath}/signing.key`);
    assert.equal(envValue(dep, 'LEDGER_DEV_KEY'), 'false', 'the service must never invent a log key in a cluster');
    assert.equal(envValue(dep, 'AUDIT_DB_SCHEMA'), 'audit');
    assert.equal(env(dep).get('LEDGER_ORIGIN'), undefined, "empty: the service's own default origin");
    assert.equal(env(dep).get('WITNESS_KEY_FILE'), undefined, 'witnessing is off by default');
    assert.equal(pod.volumes.filter((v: { secret?: object }) => v.secret).length, 1);
    // The key is mounted into the audit pod only.
    for (const s of ['catalog', 'request']) {
      const other = named(docs, 'Deployment', `gm-govmesh-${s}`).spec.template.spec;
      assert.ok(!other.volumes.some((v: { secret?: object }) => v.secret), `${s} mounts no Secret`);
    }
    const request = named(docs, 'Deployment', 'gm-govmesh-request');
    assert.equal(envValue(request, 'DEADLINE_SCAN_MS'), '5000');
    assert.equal(envValue(request, 'UNCONDITIONAL_AUTO_GRANT'), 'false');
  });

  test('Services expose http and grpc to the named container ports', () => {
    for (const s of ['catalog', 'request', 'audit']) {
      const svc = named(docs, 'Service', `gm-govmesh-${s}`);
      assert.equal(svc.spec.type, 'ClusterIP');
      assert.deepEqual(
        svc.spec.ports.map((p: { name: string; port: number; targetPort: string }) => [p.name, p.port, p.targetPort]),
        [['http', 8080, 'http'], ['grpc', 9090, 'grpc']],
      );
    }
  });

  test('the rendered core objects are valid Kubernetes objects (kubernetes-models)', () => {
    assertValidCoreObjects(docs);
    // ...and the validator does catch a type error.
    const broken = structuredClone(named(docs, 'Deployment', 'gm-govmesh-catalog'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    assert.throws(() => new Deployment(broken as never).validate());
  });
});

describe('an official year schedule loaded through the chart (APR-02: docs/operations.md#calendar)', () => {
  test('APR-02: a year schedule in values becomes a file beside platform.json that it names, mounted in every service, and the services load it', () => {
    const schedule = JSON.parse(readFileSync(TEST_SCHEDULE_2027_PATH, 'utf8'));
    const docs = template(FIXTURES.national, '--set-json', `platform.calendar.schedules=[${JSON.stringify(schedule)}]`);
    const cm = named(docs, 'ConfigMap', 'gm-govmesh-platform');
    const file = JSON.parse(cm.data?.['platform.json'] ?? 'null');
    assert.deepEqual(file.calendar.schedules, ['calendar-2027.json']);
    const dir = mkdtempSync(join(tmpdir(), 'govmesh-chart-calendar-'));
    for (const [key, text] of Object.entries(cm.data ?? {})) writeFileSync(join(dir, key), text);
    assert.deepEqual(loadPlatformSchedules(parsePlatformFile(file), join(dir, 'platform.json')).map((y) => y.year), [2027]);
    for (const s of ['catalog', 'request', 'audit']) {
      const items = named(docs, 'Deployment', `gm-govmesh-${s}`).spec.template.spec.volumes.find((v: { name: string }) => v.name === 'platform').configMap.items;
      assert.deepEqual(items.map((i: { key: string }) => i.key), ['platform.json', 'calendar-2027.json']);
    }
  });

  test('a schedule with an unknown key or a bad date is refused by the chart', () => {
    assert.match(templateFails(FIXTURES.national, '--set-json', 'platform.calendar.schedules=[{"year":2027,"source":"x","holidays":["2027-13-01"],"workdays":[]}]'), /schedules\.0\.holidays\.0: Does not match pattern/);
    assert.match(templateFails(FIXTURES.national, '--set-json', 'platform.calendar.schedules=[{"year":2027,"source":"x","holidays":[],"workdays":[],"notes":""}]'), /Additional property notes is not allowed/);
  });
});

describe('regional platform on Strimzi (ci/regional-strimzi-values.yaml)', () => {
  let docs: K8sObject[];
  before(() => {
    docs = template(FIXTURES.regional);
  });

  const P = 'region-130000';
  const expectedTopics: Record<string, string> = {
    [`${P}.catalog.events`]: '-1',
    [`${P}.catalog.ingest`]: '2592000000',
    [`${P}.directory.events`]: '-1',
    [`${P}.request.events`]: '-1',
    [`${P}.request.ingest`]: '2592000000',
    [`${P}.exchange.events`]: '-1',
    [`${P}.audit.events`]: '-1',
    [`${P}.audit.checkpoints`]: '-1',
    [`${P}.exchange.events.dlq`]: '2592000000',
    [`${P}.catalog.events.dlq`]: '2592000000',
    [`${P}.catalog.ingest.dlq`]: '2592000000',
    [`${P}.directory.events.dlq`]: '2592000000',
    [`${P}.request.events.dlq`]: '2592000000',
    [`${P}.request.ingest.dlq`]: '2592000000',
    [`${P}.audit.events.dlq`]: '2592000000',
    [`${P}.audit.checkpoints.dlq`]: '2592000000',
  };

  test('one KafkaTopic per platform topic, with retention: events kept forever, dead letters 30 days', () => {
    const topics = ofKind(docs, 'KafkaTopic');
    assert.deepEqual(topics.map((t) => t.metadata.name).sort(), Object.keys(expectedTopics).sort());
    for (const t of topics) {
      assert.equal(t.apiVersion, 'kafka.strimzi.io/v1');
      assert.equal(t.metadata.namespace, 'kafka', 'the Topic Operator namespace');
      assert.equal(t.metadata.labels?.['strimzi.io/cluster'], 'govmesh-kafka');
      assert.equal(t.metadata.labels?.['app.kubernetes.io/part-of'], 'govmesh');
      assert.equal(t.metadata.annotations?.['helm.sh/resource-policy'], 'keep', `${t.metadata.name} survives helm uninstall`);
      assert.equal(t.spec.topicName, t.metadata.name);
      assert.equal(t.spec.partitions, 6);
      assert.equal(t.spec.replicas, 3);
      assert.equal(t.spec.config['retention.ms'], expectedTopics[t.metadata.name], `${t.metadata.name} retention.ms`);
      assert.equal(t.spec.config['cleanup.policy'], 'delete', 'never compact an event log');
      assert.equal(t.spec.config['min.insync.replicas'], '2');
      assert.ok(validateKafkaTopic(t), `${t.metadata.name}: ${JSON.stringify(validateKafkaTopic.errors)}`);
    }
  });

  test('KAFKA_BROKERS defaults to the Strimzi bootstrap Service', () => {
    for (const s of ['catalog', 'request', 'audit']) {
      assert.equal(envValue(named(docs, 'Deployment', `gm-hebei-${s}`), 'KAFKA_BROKERS'), 'govmesh-kafka-kafka-bootstrap.kafka.svc:9092');
      assert.equal(envValue(named(docs, 'Deployment', `gm-hebei-${s}`), 'PLATFORM_ID'), P);
    }
  });

  test('overrides: image digest, pull secret, fullname, common labels outside selectors, per-service env and database', () => {
    const catalog = named(docs, 'Deployment', 'gm-hebei-catalog');
    const audit = named(docs, 'Deployment', 'gm-hebei-audit');
    const request = named(docs, 'Deployment', 'gm-hebei-request');
    assert.equal(container(catalog).image, 'registry.example.cn/govmesh/govmesh@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
    assert.deepEqual(catalog.spec.template.spec.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(catalog.metadata.labels?.['govmesh.io/tier'], 'regional');
    assert.equal(catalog.spec.selector.matchLabels['govmesh.io/tier'], undefined);
    assert.equal(catalog.spec.replicas, 3);
    assert.equal(envValue(catalog, 'LOG_LEVEL'), 'debug');
    assert.equal(envValue(request, 'LOG_LEVEL'), 'warn');
    assert.equal(envValue(catalog, 'DEADLINE_SCAN_MS'), '10000');
    assert.equal(envValue(catalog, 'NODE_OPTIONS'), '--max-old-space-size=384');
    assert.equal(envValue(catalog, 'TZ'), 'Asia/Shanghai');
    assert.equal(envValue(request, 'NODE_OPTIONS'), undefined);
    assert.equal(envValue(catalog, 'OTEL_EXPORTER_OTLP_ENDPOINT'), 'http://otel-collector.observability.svc:4318');
    assert.deepEqual([...env(catalog).keys()].sort(), expectedEnvNames('catalog', ['NODE_OPTIONS', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'TZ']));
    assert.deepEqual(env(catalog).get('DATABASE_URL')?.valueFrom, { secretKeyRef: { name: 'hebei-database', key: 'DATABASE_URL' } });
    assert.deepEqual(env(audit).get('DATABASE_URL')?.valueFrom, { secretKeyRef: { name: 'hebei-audit-database', key: 'DATABASE_URL' } });
    assert.equal(envValue(request, 'UNCONDITIONAL_AUTO_GRANT'), 'true');
    assert.deepEqual(env(request).get('DATABASE_URL')?.valueFrom, { secretKeyRef: { name: 'hebei-database', key: 'DATABASE_URL' } });
    assert.equal(catalog.spec.template.spec.terminationGracePeriodSeconds, 5 + 20 + 5);
    assert.equal(named(docs, 'PodDisruptionBudget', 'gm-hebei-catalog').spec.maxUnavailable, '34%');
  });

  test('audit: its own origin, a DB app role, cosigners, and the witness key mounted next to the ledger key', () => {
    const audit = named(docs, 'Deployment', 'gm-hebei-audit');
    const pod = audit.spec.template.spec;
    assert.equal(envValue(audit, 'LEDGER_ORIGIN'), 'govmesh.gov.cn/region-130000/ledger');
    assert.equal(envValue(audit, 'AUDIT_DB_APP_ROLE'), 'audit_app');
    assert.equal(envValue(audit, 'WITNESS_VKEYS'), 'govmesh.gov.cn/national/witness+0f2cf6e8+AePrZOOCg4hsBRwHuU+vz/AxJs/Ei+tDGbM3Dd1kLz9/');
    assert.equal(envValue(audit, 'WITNESS_LOGS'), 'govmesh.gov.cn/region-130100/ledger+bf715529+ASOobiy9W7RqqSECf1Ro6tJev2/AL9M/qEqWNF44EmQW');
    const secrets = Object.fromEntries(
      pod.volumes.filter((v: { secret?: object }) => v.secret).map((v: { name: string; secret: { secretName: string } }) => [v.secret.secretName, v.name]),
    );
    assert.deepEqual(Object.keys(secrets).sort(), ['hebei-ledger-key', 'hebei-witness-key']);
    const mountOf = (volume: string) => pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === volume);
    assert.equal(envValue(audit, 'LEDGER_SIGNING_KEY_FILE'), `${mountOf(secrets['hebei-ledger-key']).mountPath}/skey`);
    assert.equal(envValue(audit, 'WITNESS_KEY_FILE'), `${mountOf(secrets['hebei-witness-key']).mountPath}/witness.key`);
    assert.notEqual(mountOf(secrets['hebei-ledger-key']).mountPath, mountOf(secrets['hebei-witness-key']).mountPath);
    assert.ok(pod.containers[0].volumeMounts.every((m: { mountPath: string; readOnly?: boolean }) => m.mountPath === '/tmp' || m.readOnly));
    assert.deepEqual(
      [...env(audit).keys()].sort(),
      expectedEnvNames('audit', ['AUDIT_DB_APP_ROLE', 'LEDGER_ORIGIN', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'TZ', 'WITNESS_KEY_FILE', 'WITNESS_LOGS', 'WITNESS_VKEYS']),
    );
  });

  test('the platform file: regional, parent, calendar overrides, departments inherit the region code', () => {
    const file = JSON.parse(named(docs, 'ConfigMap', 'gm-hebei-platform').data?.['platform.json'] ?? 'null');
    assert.deepEqual(file.platform, { id: P, name: 'Hebei provincial government data platform', kind: 'regional', regionCode: '130000', parent: 'national' });
    assert.deepEqual(file.calendar, { holidays: ['2026-03-05'], workdays: ['2026-10-10'] });
    const parsed = parsePlatformFile(file);
    assert.equal(parsed.departments.find((d) => d.id === 'dept-hebei-data-bureau')?.regionCode, '130000');
    assert.equal(parsed.departments.find((d) => d.id === 'dept-shijiazhuang-civil-affairs')?.regionCode, '130100');
  });

  test('one ServiceMonitor per service scraping /metrics through its Service', () => {
    const monitors = ofKind(docs, 'ServiceMonitor');
    assert.deepEqual(monitors.map((m) => m.metadata.name).sort(), ['gm-hebei-audit', 'gm-hebei-catalog', 'gm-hebei-exchange', 'gm-hebei-request']);
    for (const m of monitors) {
      const component = m.metadata.labels?.['app.kubernetes.io/component'] ?? '';
      assert.equal(m.apiVersion, 'monitoring.coreos.com/v1');
      assert.equal(m.metadata.labels?.release, 'prometheus');
      assert.deepEqual(m.spec.selector.matchLabels, selectorOf(component));
      const svc = named(docs, 'Service', m.metadata.name);
      for (const [k, v] of Object.entries(m.spec.selector.matchLabels)) assert.equal(svc.metadata.labels?.[k], v);
      assert.deepEqual(m.spec.endpoints, [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    }
  });

  test('valid core objects', () => assertValidCoreObjects(docs));
});

describe('a platform with a service disabled (ci/audit-disabled-values.yaml)', () => {
  let docs: K8sObject[];
  before(() => {
    docs = template(FIXTURES.auditDisabled);
  });

  test('no object of the disabled service, and no PDB where it is turned off', () => {
    const names = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    assert.ok(!names.some((n) => n.endsWith('-audit')), names.join(', '));
    assert.deepEqual(ofKind(docs, 'Deployment').map((d) => d.metadata.name).sort(), ['gm-govmesh-catalog', 'gm-govmesh-exchange', 'gm-govmesh-request']);
    assert.deepEqual(ofKind(docs, 'Service').map((d) => d.metadata.name).sort(), ['gm-govmesh-catalog', 'gm-govmesh-exchange', 'gm-govmesh-request']);
    assert.deepEqual(ofKind(docs, 'PodDisruptionBudget').map((d) => d.metadata.name).sort(), ['gm-govmesh-catalog', 'gm-govmesh-exchange']);
    assert.equal(ofKind(docs, 'KafkaTopic').length, 0);
    // The exchange's file signing key is another key: only the ledger's must be absent.
    assert.ok(!docs.some((d) => /LEDGER_SIGNING|ledger-key/.test(JSON.stringify(d))), 'nothing about the audit signing key');
  });

  test('the verification service is off by default; the exchange is on', () => {
    assert.ok(!docs.some((d) => /verification/.test(d.metadata.name)));
    assert.ok(docs.some((d) => d.kind === 'Deployment' && d.metadata.name === 'gm-govmesh-exchange'));
  });

  test('no preStop hook with preStopSleepSeconds 0, and the grace period still outlasts SHUTDOWN_GRACE_MS', () => {
    const dep = named(docs, 'Deployment', 'gm-govmesh-request');
    assert.equal(container(dep).lifecycle, undefined);
    assert.equal(dep.spec.replicas, 1);
    assert.ok(dep.spec.template.spec.terminationGracePeriodSeconds * 1000 > Number(envValue(dep, 'SHUTDOWN_GRACE_MS')));
  });

  test('valid core objects', () => assertValidCoreObjects(docs));
});

describe('FAILPOINTS (tests only) is never set', () => {
  test('in any fixture, nor with every service enabled', () => {
    const renders = [
      ...Object.values(FIXTURES).map((f) => template(f)),
      template(FIXTURES.regional, '--set', 'services.exchange.enabled=true', '--set', 'services.verification.enabled=true'),
    ];
    for (const docs of renders) {
      for (const dep of ofKind(docs, 'Deployment')) {
        for (const c of dep.spec.template.spec.containers) {
          assert.ok(!c.env.some((e: { name: string }) => e.name === 'FAILPOINTS'), `${dep.metadata.name} sets FAILPOINTS`);
          assert.equal(c.envFrom, undefined, 'no envFrom that could smuggle it in');
        }
      }
    }
  });

  test('and cannot be: extraEnv refuses it, globally and per service', () => {
    assert.match(templateFails(FIXTURES.national, '--set', 'extraEnv.FAILPOINTS=projection.after-commit'), /extraEnv: Property name of "FAILPOINTS" does not match/);
    assert.match(templateFails(FIXTURES.national, '--set', 'services.catalog.extraEnv.FAILPOINTS=x'), /services\.catalog\.extraEnv/);
  });
});

describe('bad values are refused', () => {
  const cases: [string, string[], RegExp][] = [
    ['replicas 0', ['--set', 'services.catalog.replicaCount=0'], /services\.catalog\.replicaCount: Must be greater than or equal to 1/],
    ['an unknown key in a service', ['--set', 'services.catalog.replicas=2'], /services\.catalog: Additional property replicas is not allowed/],
    ['an unknown top-level key', ['--set', 'replicaCount=2'], /Additional property replicaCount is not allowed/],
    ['an unknown service', ['--set', 'services.billing.enabled=true'], /services: Additional property billing is not allowed/],
    ['a typo in the Strimzi block', ['--set', 'kafka.strimzi.enable=true'], /kafka\.strimzi: Additional property enable is not allowed/],
    ['a fractional integer', ['--set-json', 'config.outboxBatch=1.5'], /config\.outboxBatch: Invalid type\. Expected: integer/],
    ['a string where an integer goes', ['--set-json', 'kafka.topics.eventRetentionMs="forever"'], /kafka\.topics\.eventRetentionMs: Invalid type/],
    ['retention below -1', ['--set-json', 'kafka.topics.deadLetterRetentionMs=-2'], /deadLetterRetentionMs: Must be greater than or equal to -1/],
    ['a platform id that is no topic prefix', ['--set', 'platform.id=Region_130000'], /platform\.id: Does not match pattern/],
    ['an unknown platform kind', ['--set', 'platform.kind=provincial'], /platform\.kind: platform\.kind must be one of/],
    ['an unknown role', ['--set', 'platform.departments[0].roles[0]=admin'], /roles\.0: .*must be one of/],
    ['a bad calendar date', ['--set-json', 'platform.calendar.holidays=["2026-13-01"]'], /platform\.calendar\.holidays\.0: Does not match pattern/],
    ['root', ['--set', 'securityContext.runAsUser=0'], /securityContext\.runAsUser: Must be greater than or equal to 1/],
    ['port 0 (a random port the probes cannot find)', ['--set', 'config.httpPort=0'], /config\.httpPort: Must be greater than or equal to 1/],
    ['an unknown log level', ['--set', 'services.request.logLevel=verbose'], /services\.request\.logLevel: services\.request\.logLevel must be one of/],
    ['a CPU quantity typo', ['--set', 'services.catalog.resources.requests.cpu=100mc'], /services\.catalog\.resources\.requests\.cpu/],
    ['an unknown resource', ['--set', 'services.catalog.resources.requests.gpu=1'], /Additional property gpu is not allowed/],
    ['a chart-managed env name in extraEnv', ['--set', 'extraEnv.DATABASE_URL=postgres://x'], /extraEnv: Property name of "DATABASE_URL" does not match/],
    ['same HTTP and gRPC port', ['--set', 'config.grpcPort=8080'], /config\.httpPort and config\.grpcPort must differ/],
    ['no database Secret', ['--set', 'database.urlSecret.name='], /database\.urlSecret\.name .*is required/],
    ['audit without its signing key Secret', ['--set', 'services.audit.config.signingKeySecret.name='], /signingKeySecret\.name is required when the audit service is enabled/],
    ['exchange without its masking key Secret', ['--set', 'services.exchange.config.maskingKeySecret.name='], /maskingKeySecret\.name is required when the exchange service is enabled/],
    ['exchange without its file signing key Secret', ['--set', 'services.exchange.config.fileSigningKeySecret.name='], /fileSigningKeySecret\.name is required when the exchange service is enabled/],
    ['two exchange replicas without a shared files volume', ['--set', 'services.exchange.config.files.claimName='], /files\.claimName is required with more than one exchange replica/],
    ['Strimzi without a cluster', ['--set', 'kafka.strimzi.enabled=true'], /kafka\.strimzi\.cluster is required/],
    ['min.insync.replicas above the replicas', ['--set', 'kafka.strimzi.enabled=true', '--set', 'kafka.strimzi.cluster=k', '--set', 'kafka.topics.minInsyncReplicas=4'], /minInsyncReplicas must not exceed/],
    ['no Kafka at all', ['--set-json', 'kafka.brokers=[]'], /kafka\.brokers is required/],
    ['a duplicate department', ['--set', 'platform.departments[1].id=dept-data-bureau'], /duplicate id dept-data-bureau/],
    ['a vkey that is no vkey', ['--set-json', 'services.audit.config.cosignerVkeys=["national-witness"]'], /cosignerVkeys\.0: Does not match pattern/],
    ['an audit DB schema that is no SQL identifier', ['--set', 'services.audit.config.dbSchema=Audit-Log'], /dbSchema: Does not match pattern/],
    ['a non-boolean switch', ['--set-json', 'services.request.config.unconditionalAutoGrant="yes"'], /unconditionalAutoGrant: Invalid type\. Expected: boolean/],
    ['a config key another service has', ['--set', 'services.audit.config.deadlineScanMs=5000'], /Additional property deadlineScanMs is not allowed/],
    ['a token key that is not a public key', ['--set', 'platform.tokenPublicKeyPem=-----BEGIN PRIVATE KEY-----'], /platform\.tokenPublicKeyPem: Does not match pattern/],
  ];
  for (const [what, args, expected] of cases) {
    test(what, () => {
      // On top of a complete fixture, so that only the value under test is wrong (helm --set on a
      // list index changes that element of the fixture's list).
      assert.match(templateFails(FIXTURES.national, ...args), expected);
    });
  }
});

describe('DLV-02, SUS-04: batch push delivery topics read by their department only (kafka.strimzi.users.enabled)', () => {
  const P = 'region-130000';
  const users = (...extra: string[]) => ofKind(template(FIXTURES.regional, '--set', 'kafka.strimzi.users.enabled=true', ...extra), 'KafkaUser');
  const acls = (u: K8sObject) => u.spec.authorization.acls as { resource: { type: string; name?: string; patternType?: string }; operations: string[] }[];

  test('off by default: no KafkaUser', () => {
    assert.equal(ofKind(template(FIXTURES.regional), 'KafkaUser').length, 0);
    assert.equal(ofKind(template(FIXTURES.national), 'KafkaUser').length, 0);
  });

  test('SUS-04: one KafkaUser per requesting department, reading its own delivery topic and consumer groups and nothing else; none for a department that never requests', () => {
    const all = users();
    const dept = (id: string) => all.find((u) => u.metadata.name === `${P}-${id}`);
    assert.equal(dept('dept-hebei-data-bureau'), undefined, 'competent, auditor, operator: no delivery topic');
    for (const id of ['dept-hebei-public-security', 'dept-shijiazhuang-civil-affairs']) {
      const u = dept(id)!;
      assert.ok(u, `no KafkaUser for ${id}`);
      assert.equal(u.apiVersion, 'kafka.strimzi.io/v1');
      assert.equal(u.metadata.namespace, 'kafka');
      assert.equal(u.metadata.labels?.['strimzi.io/cluster'], 'govmesh-kafka');
      assert.deepEqual(u.spec.authentication, { type: 'scram-sha-512' });
      assert.equal(u.spec.authorization.type, 'simple');
      assert.deepEqual(acls(u), [
        { resource: { type: 'topic', name: `${P}.delivery.${id}`, patternType: 'literal' }, operations: ['Read', 'Describe'] },
        { resource: { type: 'group', name: `${P}.delivery.${id}.`, patternType: 'prefix' }, operations: ['Read'] },
      ]);
      assert.ok(!acls(u).some((a) => a.operations.includes('Write')), 'a department never writes');
    }
  });

  test("the exchange's KafkaUser writes the delivery topics; tls authentication on request; a department id unfit for a KafkaUser is refused", () => {
    const exchange = users().find((u) => u.metadata.name === `${P}-exchange`)!;
    assert.ok(exchange);
    const delivery = acls(exchange).find((a) => a.resource.name === `${P}.delivery.`)!;
    assert.equal(delivery.resource.patternType, 'prefix');
    assert.deepEqual(delivery.operations.filter((o) => ['Create', 'Write'].includes(o)), ['Create', 'Write']);
    assert.ok(users('--set', 'kafka.strimzi.users.authentication=tls').every((u) => u.spec.authentication.type === 'tls'));
    assert.match(templateFails(FIXTURES.regional, '--set', 'kafka.strimzi.users.enabled=true', '--set', 'platform.departments[2].id=Dept_Upper'), /department Dept_Upper: a KafkaUser needs/);
    assert.match(templateFails(FIXTURES.regional, '--set', 'kafka.strimzi.users.authentication=plain'), /authentication/);
  });
});

describe("the chart matches the services' code", () => {
  const services = ['catalog', 'request', 'audit', 'exchange', 'verification'].filter((s) => existsSync(join(ROOT, `services/${s}/src/config.ts`)));
  const everything = () =>
    template(FIXTURES.regional, '--set', 'services.exchange.enabled=true', '--set', 'services.verification.enabled=true');

  test('every env var the chart sets is a key of that service\'s config spec', async () => {
    const docs = everything();
    assert.ok(services.includes('catalog'));
    for (const s of services) {
      const mod = (await import(pathToFileURL(join(ROOT, `services/${s}/src/config.ts`)).href)) as Record<string, unknown>;
      const spec = Object.entries(mod).find(([name]) => name.endsWith('ConfigSpec'))?.[1] as Record<string, unknown> | undefined;
      assert.ok(spec, `services/${s}/src/config.ts exports no *ConfigSpec`);
      const chartEnv = [...env(named(docs, 'Deployment', `gm-hebei-${s}`)).keys()];
      // NODE_ENV is Node's; TZ and NODE_OPTIONS come from the fixture's extraEnv.
      const unknown = chartEnv.filter((k) => !(k in spec) && !['NODE_ENV', 'TZ', 'NODE_OPTIONS'].includes(k));
      assert.deepEqual(unknown, [], `${s}: the chart sets env the service does not read`);
      assert.ok('FAILPOINTS' in spec, 'FAILPOINTS exists in the spec, and the chart still never sets it');
    }
  });

  test("every topic a service names (src/events/topics.ts) has a KafkaTopic", async () => {
    const P = 'region-130000';
    const chartTopics = new Set(ofKind(template(FIXTURES.regional), 'KafkaTopic').map((t) => t.metadata.name));
    let checked = 0;
    for (const s of services) {
      const file = join(ROOT, `services/${s}/src/events/topics.ts`);
      if (!existsSync(file)) continue;
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const topicsOf = mod[`${s}Topics`] as ((p: string) => Record<string, string>) | undefined;
      assert.equal(typeof topicsOf, 'function', `${file} exports ${s}Topics(platform)`);
      for (const topic of Object.values(topicsOf!(P))) {
        assert.ok(chartTopics.has(topic), `${s} uses ${topic}, which the chart does not create`);
        assert.ok(chartTopics.has(`${topic}.dlq`), `no dead-letter topic for ${topic}`);
        checked++;
      }
    }
    assert.ok(checked >= 3);
  });
});

describe('deploy/k8s (plain manifests rendered from this chart)', () => {
  test('is fresh: node_modules/.bin/node deploy/k8s/render.ts rewrites nothing', () => {
    for (const [path, text] of Object.entries(renderPlainManifests())) {
      assert.equal(readFileSync(join(ROOT, path), 'utf8'), text, `${path} is stale: run node_modules/.bin/node deploy/k8s/render.ts`);
    }
  });

  test('the services file has no KafkaTopic; the topics file has every topic of the national platform', () => {
    const services = parseDocs(readFileSync(join(ROOT, OUTPUTS.services), 'utf8'));
    const topics = parseDocs(readFileSync(join(ROOT, OUTPUTS.topics), 'utf8'));
    assert.equal(ofKind(services, 'KafkaTopic').length, 0);
    assert.deepEqual(ofKind(services, 'Deployment').map((d) => d.metadata.name).sort(), ['govmesh-audit', 'govmesh-catalog', 'govmesh-exchange', 'govmesh-request']);
    assert.equal(topics.length, 16);
    assert.ok(topics.every((t) => t.kind === 'KafkaTopic' && t.metadata.name.startsWith('national.') && validateKafkaTopic(t)));
    assertValidCoreObjects(services);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  test('kubectl kustomize builds both kustomizations', { skip: kubectl ? false : 'no kubectl on PATH' }, () => {
    for (const dir of ['deploy/k8s', 'deploy/k8s/topics']) {
      const r = spawnSync('kubectl', ['kustomize', dir], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const docs = parseDocs(r.stdout);
      assert.ok(docs.length > 0);
      for (const d of docs) {
        assert.equal(d.metadata.namespace, 'govmesh', `${d.kind}/${d.metadata.name}`);
        assert.equal(d.metadata.labels?.['app.kubernetes.io/managed-by'], 'kustomize');
      }
      if (dir === 'deploy/k8s') {
        for (const dep of ofKind(docs, 'Deployment')) {
          assert.equal(dep.spec.selector.matchLabels['app.kubernetes.io/managed-by'], undefined, 'selectors untouched');
          assert.equal(container(dep).image, 'govmesh/govmesh:0.1.0');
        }
      }
    }
  });
});

describe('the image (Dockerfile) has the layout the chart relies on', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const values = parseYaml(readFileSync(join(ROOT, CHART, 'values.yaml'), 'utf8')) as { securityContext: { runAsUser: number; runAsGroup: number } };

  test('node 24 base, production dependencies only, without install scripts', () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-slim$/m);
    assert.match(dockerfile, /npm ci --omit=dev --ignore-scripts/);
  });

  test('workdir /app is the repository root: args services/<name>/src/main.ts and SCHEMAS_DIR /app/schemas resolve', () => {
    assert.match(runtime, /^WORKDIR \/app$/m);
    assert.match(runtime, /^ENTRYPOINT \["node"\]$/m);
    for (const dir of ['packages', 'services', 'schemas']) assert.match(runtime, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'));
    assert.doesNotMatch(dockerfile, /COPY\s+deploy/, 'development configuration is never baked in');
  });

  test('runs as the non-root numeric user the chart runs it as', () => {
    assert.match(runtime, new RegExp(`^USER ${values.securityContext.runAsUser}:${values.securityContext.runAsGroup}$`, 'm'));
  });

  test('.dockerignore keeps local state, secrets, deploy/ and tests out of the context', () => {
    for (const entry of ['**/node_modules', '.git', '.data', '.tools', 'deploy', '**/*.pem', '**/*.test.ts']) {
      assert.ok(dockerignore.includes(entry), `.dockerignore lacks ${entry}`);
    }
  });
});
