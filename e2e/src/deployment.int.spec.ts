import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { parse as parseYaml } from 'yaml';
import { TopicDefaults, topics as topicNames, type TopicKey } from '@strata/contracts';
import { KafkaMessageBus } from '@strata/messaging';

// The deployment artefacts are checked without a Docker engine (these machines have none):
// docker-compose.yml against the Compose specification's own JSON schema, then the references
// the schema cannot see. Int tier: the schema is fetched over the network (then cached).

const ROOT = path.resolve(__dirname, '..', '..');
// The schema ships in the compose-go module, which the Go module proxy serves as a zip.
// Pinned so the check is reproducible; bump it deliberately (versions: <proxy>/@v/list).
const COMPOSE_GO_VERSION = 'v2.16.2';
const MODULE = 'github.com/compose-spec/compose-go/v2';
const ZIP_URL = `https://proxy.golang.org/${MODULE}/@v/${COMPOSE_GO_VERSION}.zip`;
const SCHEMA_IN_ZIP = `${MODULE}@${COMPOSE_GO_VERSION}/schema/compose-spec.json`;
const CACHE = path.join(ROOT, '.strata', 'cache', `compose-spec-${COMPOSE_GO_VERSION}.json`);

/** The five services: they all read DATABASE_URL and KAFKA_BROKERS (libs/service-kit/src/config.ts). */
const APP_SERVICES = ['orchestrator', 'storage-service', 'snapshot-service', 'backup-service', 'image-service'];
const REQUIRED_ENV = ['DATABASE_URL', 'KAFKA_BROKERS'];

const run = promisify(execFile);

/** fetch's "fetch failed" hides the reason (DNS, refused, timeout) in its cause; duck-typed, as
 * errors from Node's own fetch are not instances of the test context's Error. */
function reason(error: unknown): string {
  const e = error as { message?: unknown; cause?: { message?: unknown; code?: unknown } } | null;
  if (typeof e?.message !== 'string') return String(error);
  const cause = e.cause && typeof e.cause.message === 'string' ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}

async function composeSchema(): Promise<object> {
  if (existsSync(CACHE)) return JSON.parse(await readFile(CACHE, 'utf8')) as object;
  let zip: Buffer;
  try {
    const res = await fetch(ZIP_URL, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    zip = Buffer.from(await res.arrayBuffer());
  } catch (error) {
    // Fail, never skip: without the schema nothing about the compose file is proven.
    throw new Error(
      `could not download the Compose specification schema from ${ZIP_URL} (${reason(error)}). ` +
        `This int-tier check needs the network once; afterwards it uses ${path.relative(ROOT, CACHE)}.`,
    );
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'compose-spec-'));
  try {
    const zipFile = path.join(dir, 'module.zip');
    await writeFile(zipFile, zip);
    // unzip -p: just that one member, to stdout (no zip library in node_modules).
    const { stdout } = await run('unzip', ['-p', zipFile, SCHEMA_IN_ZIP], { maxBuffer: 16 * 2 ** 20 }).catch((error: unknown) => {
      throw new Error(`could not extract ${SCHEMA_IN_ZIP} with unzip (is unzip installed?): ${reason(error)}`);
    });
    const schema = JSON.parse(stdout) as object;
    await mkdir(path.dirname(CACHE), { recursive: true });
    await writeFile(CACHE, stdout);
    return schema;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface ComposeService {
  build?: string | { context?: string; dockerfile?: string };
  depends_on?: string[] | Record<string, { condition?: string }>;
  networks?: string[] | Record<string, unknown>;
  volumes?: (string | { type?: string; source?: string })[];
  environment?: string[] | Record<string, string | number | boolean | null>;
  healthcheck?: { test?: unknown; disable?: boolean };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
}

function names(value: string[] | Record<string, unknown> | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : Object.keys(value);
}

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** A named volume in a short (`name:/path[:mode]`) or long (`{type: volume, source}`) mount; null for bind mounts. */
function namedVolume(mount: string | { type?: string; source?: string }): string | null {
  if (typeof mount === 'string') {
    const source = mount.split(':')[0];
    return mount.includes(':') && !/^[./~$]/.test(source) ? source : null;
  }
  return (mount.type ?? 'volume') === 'volume' && mount.source ? mount.source : null;
}

describe('docker-compose.yml', () => {
  let text: string;
  let compose: ComposeFile;

  beforeAll(async () => {
    text = await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    // merge: the file shares its environment and health settings through `<<:` anchors, as Compose does.
    compose = parseYaml(text, { merge: true }) as ComposeFile;
  });

  it(`is valid against the Compose specification's JSON schema (compose-go ${COMPOSE_GO_VERSION})`, async () => {
    const schema = await composeSchema();
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    expect(errors).toEqual([]);
    expect(ok).toBe(true);
  });

  it('has every depends_on name a service, every network and named volume declared', () => {
    const services = Object.keys(compose.services);
    const networks = Object.keys(compose.networks ?? {});
    const volumes = Object.keys(compose.volumes ?? {});
    const problems: string[] = [];
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const dep of names(svc.depends_on)) if (!services.includes(dep)) problems.push(`${name}: depends_on ${dep}, which is no service`);
      for (const net of names(svc.networks)) if (!networks.includes(net)) problems.push(`${name}: network ${net} is not declared`);
      for (const mount of svc.volumes ?? []) {
        const vol = namedVolume(mount);
        if (vol !== null && !volumes.includes(vol)) problems.push(`${name}: volume ${vol} is not declared`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has every depends_on with a condition, and every condition service_healthy on a service with a health check', () => {
    const problems: string[] = [];
    for (const [name, svc] of Object.entries(compose.services)) {
      if (!svc.healthcheck?.test || svc.healthcheck.disable) problems.push(`${name}: no health check`);
      if (svc.depends_on === undefined) continue;
      if (Array.isArray(svc.depends_on)) {
        problems.push(`${name}: depends_on without conditions (start order only, not readiness)`);
        continue;
      }
      for (const [dep, spec] of Object.entries(svc.depends_on)) {
        if (spec.condition === 'service_healthy' && !compose.services[dep]?.healthcheck?.test) problems.push(`${name}: waits for ${dep} to be healthy, which has no health check`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('builds every image from a Dockerfile in the repository (multi-stage, Node 24, non-root, with a health check)', async () => {
    const problems: string[] = [];
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.build === undefined) continue;
      const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
      const dockerfile = path.resolve(ROOT, build.context ?? '.', build.dockerfile ?? 'Dockerfile');
      if (!existsSync(dockerfile)) {
        problems.push(`${name}: ${path.relative(ROOT, dockerfile)} does not exist`);
        continue;
      }
      const content = await readFile(dockerfile, 'utf8');
      const froms = content.match(/^FROM\s+\S+/gm) ?? [];
      if (froms.length < 2) problems.push(`${name}: ${path.relative(ROOT, dockerfile)} is not multi-stage`);
      if (!froms.every((f) => /node:24/.test(f))) problems.push(`${name}: ${path.relative(ROOT, dockerfile)} is not on node:24`);
      if (!/^USER\s+node\b/m.test(content)) problems.push(`${name}: ${path.relative(ROOT, dockerfile)} does not switch to USER node`);
    }
    for (const svc of APP_SERVICES) {
      const content = await readFile(path.join(ROOT, 'apps', svc, 'Dockerfile'), 'utf8').catch(() => '');
      if (!/^HEALTHCHECK\b[\s\S]*\/health/m.test(content)) problems.push(`apps/${svc}/Dockerfile has no HEALTHCHECK on /health`);
      if (!content.includes(`apps/${svc}/dist/main.js`)) problems.push(`apps/${svc}/Dockerfile does not run apps/${svc}/dist/main.js`);
    }
    expect(problems).toEqual([]);
  });

  it('runs the five services with the variables they require, listening beyond loopback, the secret key required', () => {
    const problems: string[] = [];
    for (const name of APP_SERVICES) {
      const svc = compose.services[name];
      if (svc === undefined) {
        problems.push(`${name}: not in the compose file`);
        continue;
      }
      const env = environmentOf(svc);
      for (const key of REQUIRED_ENV) if (!env[key]) problems.push(`${name}: ${key} is not set`);
      if (env.STRATA_BIND_HOST !== '0.0.0.0') problems.push(`${name}: STRATA_BIND_HOST is not 0.0.0.0 (unreachable from other containers)`);
      // Never a literal key in the file: compose must refuse to start without one.
      if (!/^\$\{STRATA_SECRET_KEY:\?.+\}$/.test(env.STRATA_SECRET_KEY ?? '')) problems.push(`${name}: STRATA_SECRET_KEY is not \${STRATA_SECRET_KEY:?...}`);
      const brokers = env.KAFKA_BROKERS ?? '';
      for (const broker of brokers.split(',')) {
        const host = broker.split(':')[0];
        if (!compose.services[host]) problems.push(`${name}: KAFKA_BROKERS names ${host}, which is no service`);
      }
      const dbHost = /@([^:/]+)/.exec(env.DATABASE_URL ?? '')?.[1];
      if (dbHost === undefined || !compose.services[dbHost]) problems.push(`${name}: DATABASE_URL's host ${dbHost} is no service`);
      const deps = names(svc.depends_on);
      if (!deps.includes('postgres') || !deps.includes('kafka')) problems.push(`${name}: does not wait for postgres and kafka`);
    }
    expect(problems).toEqual([]);
  });

  it('turns Kafka topic auto-creation off (the services create their topics)', () => {
    expect(environmentOf(compose.services.kafka ?? {}).KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });
});

// What docs/operations.md promises about topics: the services create them (auto-creation is
// off) with TopicDefaults' partitions and retention, as PlatformModule does at start.
describe('Kafka topics', () => {
  const prefix = `tdeploy${Date.now().toString(36)}.`;
  const names = topicNames(prefix);
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  const admin = new Kafka({ clientId: 'deployment-spec', brokers, logLevel: logLevel.NOTHING }).admin();
  const bus = new KafkaMessageBus({ brokers, clientId: 'deployment-spec' });

  beforeAll(async () => {
    if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set: run through the int tier (its global setup starts Kafka)');
    await admin.connect();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: Object.values(names) }).catch(() => undefined);
    await admin.disconnect();
    await bus.close();
  });

  it('are created with the partitions and retention of TopicDefaults', async () => {
    const keys = Object.keys(names) as TopicKey[];
    await bus.ensureTopics(keys.map((key) => ({ topic: names[key], numPartitions: TopicDefaults[key].partitions, retentionMs: TopicDefaults[key].retentionMs })));
    const { topics } = await admin.fetchTopicMetadata({ topics: Object.values(names) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: keys.map((key) => ({ type: ConfigResourceTypes.TOPIC, name: names[key], configNames: ['retention.ms'] })),
    });
    const actual = keys.map((key) => ({
      key,
      partitions: topics.find((t) => t.name === names[key])?.partitions.length,
      retentionMs: Number(configs.resources.find((r) => r.resourceName === names[key])?.configEntries.find((c) => c.configName === 'retention.ms')?.configValue),
    }));
    expect(actual).toEqual(keys.map((key) => ({ key, partitions: TopicDefaults[key].partitions, retentionMs: TopicDefaults[key].retentionMs })));
  });
});

describe('docs/asyncapi.yaml', () => {
  it('is what scripts/asyncapi.mjs generates from the contracts now (payload shapes included)', async () => {
    // The unit test checks that every command and job event is listed; this one that nothing listed is stale.
    const check = await run(process.execPath, [path.join(ROOT, 'scripts', 'asyncapi.mjs'), '--check'], { cwd: ROOT }).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(check).toEqual({ code: 0, output: '' });
  });
});
