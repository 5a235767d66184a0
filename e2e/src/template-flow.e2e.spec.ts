import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { topics as topicNames, type Envelope } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, infraEnv, type TestInfra } from '@strata/testing';

const run = promisify(execFile);

interface SimulatorCall {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}
interface StorPoolProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** The driver's devicePath setting: a volume's sparse file, with {name} for its backend name. */
  readonly devicePath: string;
  calls(): Promise<SimulatorCall[]>;
}

/** The StorPool simulator as its own process (`npm run sim:storpool`), logging every API call it serves. */
async function startStorPool(dataDir: string, token: string): Promise<StorPoolProcess> {
  const callLog = path.join(dataDir, 'calls.jsonl');
  const main = path.join(__dirname, '..', '..', 'libs', 'backends', 'dist', 'storpool', 'simulator', 'main.js');
  const child = spawn(process.execPath, [main, '--port', '0', '--data-dir', dataDir, '--token', token, '--call-log', callLog], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const started = await eventually('the StorPool simulator to print its URL and device path', async () => {
    const url = /^(http:\/\/\S+)$/m.exec(out)?.[1];
    const devicePath = /devicePath (\S+);/.exec(err)?.[1];
    return url && devicePath ? { url, devicePath } : undefined;
  });
  return {
    child,
    port: Number(new URL(started.url).port),
    devicePath: started.devicePath,
    calls: async () =>
      (await readFile(callLog, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as SimulatorCall),
  };
}

interface RunningService {
  name: string;
  url: string;
  exited: { code: number | null; signal: string | null } | null;
}
interface ServicesModule {
  startServices(options: { env: Record<string, string>; logDir: string; only?: string[] }): Promise<RunningService[]>;
  stopServices(running: RunningService[]): Promise<void>;
}

const PORT_BASE = 18180; // away from `npm start` and the other e2e files
const MiB = 2 ** 20;
const VIRTUAL = 64 * MiB;

/**
 * Templates across the five services as processes, on the real Kafka, PostgreSQL and qemu-img:
 * a QCOW2 made here and served over HTTP is registered (checksum and format verified), spooled
 * once onto a file pool by the image service and the storage service's data mover, and two ROOT
 * volumes are deployed from it by the orchestrator's saga — the first through the conversion,
 * the second as a clone of the cached base with no conversion at all.
 */
describe('templates and ROOT volumes from them, end to end', () => {
  let infra: TestInfra;
  let services: RunningService[] = [];
  let lib: ServicesModule;
  let bus: KafkaMessageBus;
  let sub: Subscription;
  let work: string;
  let server: Server;
  let serverUrl: string;
  let qcow2: Buffer;
  let expectedRaw: Buffer;
  const storageEvents: Envelope[] = [];
  let storpool: StorPoolProcess;
  const imageEvents: Envelope[] = [];
  const dataMoverHostId = randomUUID();
  const api = `http://127.0.0.1:${PORT_BASE}`;
  // The orchestrator's bootstrap admin key (STRATA_BOOTSTRAP_ADMIN_KEY), sent with every REST call.
  const ADMIN_KEY = `stk_${randomBytes(32).toString('base64url')}`;
  const serviceEnv = (): Record<string, string> => ({
    ...infraEnv(infra),
    STRATA_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
    ORCHESTRATOR_PORT: String(PORT_BASE),
    STORAGE_SERVICE_PORT: String(PORT_BASE + 1),
    SNAPSHOT_SERVICE_PORT: String(PORT_BASE + 2),
    BACKUP_SERVICE_PORT: String(PORT_BASE + 3),
    IMAGE_SERVICE_PORT: String(PORT_BASE + 4),
    STRATA_IMAGE_SERVICE_URL: `http://127.0.0.1:${PORT_BASE + 4}`,
    STRATA_DATA_MOVER_HOST_ID: dataMoverHostId,
    // Retired bases blocked by clones are tried again every 2 s here (a minute by default).
    STRATA_BASE_RETIREMENT_SWEEP_MS: '2000',
  });
  const logDir = () => path.join(__dirname, '..', '..', '.strata', 'logs', `e2e-${infra.topicPrefix.replace(/\W/g, '')}`);

  const http = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const jobDone = (jobId: string) =>
    eventually(`job ${jobId} to finish`, async () => {
      const { status, body } = await http('GET', `/jobs/${jobId}`);
      return status === 200 && (body.status === 'succeeded' || body.status === 'failed') ? body : undefined;
    }, 60_000);

  beforeAll(async () => {
    infra = await createTestInfra('e2e-tmpl');
    work = await mkdtemp(path.join(tmpdir(), 'strata-e2e-tmpl-'));

    // A QCOW2 with recognisable bytes at a few offsets, and what `qemu-img convert -O raw` makes of it.
    const raw = path.join(work, 'source.raw');
    const handle = await open(raw, 'w');
    await handle.truncate(VIRTUAL);
    for (const [i, offset] of [0, 5 * MiB + 123, 33 * MiB, VIRTUAL - 4096].entries()) {
      await handle.write(Buffer.from(`strata template block ${i} `.repeat(200)).subarray(0, 4096), 0, 4096, offset);
    }
    await handle.close();
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, path.join(work, 'image.qcow2')]);
    await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', path.join(work, 'image.qcow2'), path.join(work, 'expected.raw')]);
    qcow2 = await readFile(path.join(work, 'image.qcow2'));
    expectedRaw = await readFile(path.join(work, 'expected.raw'));

    server = createServer((req, res) => {
      const body = req.url === '/image.qcow2' ? qcow2 : req.url === '/plain.raw' ? expectedRaw : null;
      if (!body) return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    lib = (await import(path.join(__dirname, '..', '..', 'scripts', 'lib', 'services.mjs'))) as ServicesModule;
    services = await lib.startServices({
      env: serviceEnv(),
      logDir: logDir(),
    });
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'e2e-tmpl' });
    const names = topicNames(infra.topicPrefix);
    sub = await bus.subscribe({
      groupId: `${infra.topicPrefix}e2e-tmpl-observer`,
      topics: [names.storageEvents, names.imageEvents],
      handle: async (m) => {
        const envelope = JSON.parse(m.value!.toString('utf8')) as Envelope;
        (m.topic === names.imageEvents ? imageEvents : storageEvents).push(envelope);
      },
    });
    // A StorPool array (the vendor API simulator) whose API calls the test sees.
    await mkdir(path.join(work, 'storpool'));
    storpool = await startStorPool(path.join(work, 'storpool'), 'sp-e2e-token');
    // The data mover: this machine, as a registered host of the zone (a file pool needs no identity; StorPool its client id).
    const register = commandEnvelope('RegisterHost', dataMoverHostId, { name: 'data-mover', zoneId: 'zone-t', hypervisor: 'kvm', identities: { storpoolClientId: 1 } });
    await bus.publish([{ topic: names.storageCommands, key: dataMoverHostId, value: JSON.stringify(register) }]);
    await eventually('the data mover registered', async () => storageEvents.find((e) => e.type === 'HostRegistered' && e.aggregateId === dataMoverHostId));
  });

  afterAll(async () => {
    await sub?.stop();
    await bus?.close();
    if (lib) await lib.stopServices(services);
    storpool?.child.kill('SIGTERM');
    await infra?.dispose();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (work) await rm(work, { recursive: true, force: true });
  });

  let poolId: string;
  let templateId: string;
  const rootIds: string[] = [];
  /** The ROOT volume deployed from the template made of a volume (its snapshot makes the next template). */
  let goldenRoot: { id: string; path: string };

  it('registers a QCOW2 from a URL: checksum verified, format and virtual size read with qemu-img', async () => {
    const pool = await http('POST', '/pools', { name: 'tmpl-pool', plugin: 'file', zoneId: 'zone-t', config: { path: path.join(work, 'pool') } });
    expect((await jobDone(pool.body.jobId)).status).toBe('succeeded');
    poolId = pool.body.poolId;
    const store = await http('POST', '/image-stores', { name: 'store-t', zoneId: 'zone-t', path: work });
    expect(store.status).toBe(202);
    expect((await jobDone(store.body.jobId)).status).toBe('succeeded');

    const sha256 = createHash('sha256').update(qcow2).digest('hex');
    const registered = await http('POST', '/templates', {
      name: 'debian-e2e', kind: 'template', format: 'qcow2', zoneId: 'zone-t', url: `${serverUrl}/image.qcow2`, checksum: { algorithm: 'sha256', value: sha256 },
    });
    expect(registered.status).toBe(202);
    templateId = registered.body.templateId;
    expect((await jobDone(registered.body.jobId)).status).toBe('succeeded');
    const template = await eventually('the template ready', async () => {
      const res = await http('GET', `/templates/${templateId}`);
      return res.body?.status === 'ready' ? res.body : undefined;
    });
    expect(template).toMatchObject({ declaredFormat: 'qcow2', detectedFormat: 'qcow2', virtualSizeBytes: VIRTUAL, sha256 });
  });

  it('refuses a wrong checksum and a wrong declared format, each with its reason', async () => {
    const badSum = await http('POST', '/templates', {
      name: 'bad-sum', kind: 'template', format: 'qcow2', zoneId: 'zone-t', url: `${serverUrl}/image.qcow2`, checksum: { algorithm: 'md5', value: '0'.repeat(32) },
    });
    expect(await jobDone(badSum.body.jobId)).toMatchObject({ status: 'failed', error: { code: 'image.checksum_mismatch' } });
    const badFormat = await http('POST', '/templates', { name: 'bad-format', kind: 'template', format: 'qcow2', zoneId: 'zone-t', url: `${serverUrl}/plain.raw` });
    expect(await jobDone(badFormat.body.jobId)).toMatchObject({ status: 'failed', error: { code: 'image.format_mismatch' } });
  });

  it('deploys a ROOT volume whose bytes are those of `qemu-img convert -O raw`, grown to the size asked', async () => {
    const deployed = await http('POST', `/templates/${templateId}/volumes`, { name: 'root-1', poolId, sizeBytes: VIRTUAL * 2 });
    expect(deployed.status).toBe(202);
    rootIds.push(deployed.body.volumeId);
    expect(await jobDone(deployed.body.jobId)).toMatchObject({ status: 'succeeded' });
    const volume = await eventually('the ROOT volume ready', async () => {
      const res = await http('GET', `/volumes/${deployed.body.volumeId}`);
      return res.body?.status === 'ready' ? res.body : undefined;
    });
    expect(volume.sizeBytes).toBe(VIRTUAL * 2);
    const bytes = await readFile(volume.path);
    expect(bytes.length).toBe(VIRTUAL * 2);
    expect(bytes.subarray(0, VIRTUAL).equals(expectedRaw)).toBe(true);
    expect(bytes.subarray(VIRTUAL).every((b) => b === 0)).toBe(true);
  });

  it('deploys a second ROOT volume as a clone of the cached base: no second conversion', async () => {
    const deployed = await http('POST', `/templates/${templateId}/volumes`, { name: 'root-2', poolId });
    rootIds.push(deployed.body.volumeId);
    expect(await jobDone(deployed.body.jobId)).toMatchObject({ status: 'succeeded' });
    const volume = await eventually('the second ROOT volume ready', async () => {
      const res = await http('GET', `/volumes/${deployed.body.volumeId}`);
      return res.body?.status === 'ready' ? res.body : undefined;
    });
    expect((await readFile(volume.path)).equals(expectedRaw)).toBe(true);

    // The storage log says how each was made: one volume filled from the image (the base), and
    // each ROOT volume a clone of the base's snapshot.
    const requested = storageEvents.filter((e) => e.type === 'VolumeCreationRequested');
    const fromImage = requested.filter((e) => (e.data as { image?: unknown }).image);
    expect(fromImage).toHaveLength(1);
    const spooled = imageEvents.filter((e) => e.type === 'TemplateSpoolRequested');
    expect(spooled).toHaveLength(1);
    const base = spooled[0].data as { volumeId: string; snapshotId: string };
    expect(fromImage[0].aggregateId).toBe(base.volumeId);
    for (const root of [volume.id]) {
      const creation = requested.find((e) => e.aggregateId === root)!;
      expect(creation.data).toMatchObject({ source: { snapshotId: base.snapshotId, volumeId: base.volumeId } });
    }
    console.log(`ROOT volumes: 2 deployed; template conversions (VolumeCreationRequested with image): ${fromImage.length}`);
  });

  it('makes a template of a ROOT volume (written to, never attached): exported as QCOW2, verified, and deployed again with the same bytes', async () => {
    const source = await http('GET', `/volumes/${rootIds[0]}`);
    const file = source.body.path as string;
    // The guest's writes, as a VM would leave them on its disk.
    const handle = await open(file, 'r+');
    for (const [i, offset] of [4096, 17 * MiB + 5, VIRTUAL + 3 * MiB].entries()) {
      await handle.write(Buffer.from(`written by the guest ${i} `.repeat(200)).subarray(0, 4096), 0, 4096, offset);
    }
    await handle.close();
    const written = await readFile(file);

    const made = await http('POST', `/volumes/${rootIds[0]}/templates`, { name: 'golden-e2e', zoneId: 'zone-t', osType: 'debian' });
    expect(made.status).toBe(202);
    expect(await jobDone(made.body.jobId)).toMatchObject({ status: 'succeeded' });
    const template = await eventually('the template from the volume ready', async () => {
      const res = await http('GET', `/templates/${made.body.templateId}`);
      return res.body?.status === 'ready' ? res.body : undefined;
    });
    const exported = path.join(work, 'templates', `${made.body.templateId}.qcow2`);
    expect(template).toMatchObject({
      detectedFormat: 'qcow2',
      virtualSizeBytes: written.length,
      sha256: createHash('sha256').update(await readFile(exported)).digest('hex'),
      source: { kind: 'volume', volumeId: rootIds[0] },
    });
    expect(storageEvents.find((e) => e.type === 'VolumeExported' && (e.data as { volumeId: string }).volumeId === rootIds[0])).toBeDefined();

    const deployed = await http('POST', `/templates/${made.body.templateId}/volumes`, { name: 'root-from-golden', poolId });
    expect(await jobDone(deployed.body.jobId)).toMatchObject({ status: 'succeeded' });
    const volume = await eventually('the ROOT volume from the new template ready', async () => {
      const res = await http('GET', `/volumes/${deployed.body.volumeId}`);
      return res.body?.status === 'ready' ? res.body : undefined;
    });
    expect((await readFile(volume.path)).equals(written)).toBe(true);
    goldenRoot = volume;
  });

  it('makes a template of a snapshot: a temporary clone exported and deleted; the template holds the bytes of the snapshot, not later writes', async () => {
    const file = goldenRoot.path as string;
    const snap = await http('POST', `/volumes/${goldenRoot.id}/snapshots`, { name: 'before-change' });
    expect(snap.status).toBe(202);
    expect(await jobDone(snap.body.jobId)).toMatchObject({ status: 'succeeded' });
    const atSnapshot = await readFile(file);
    // Written after the snapshot: not in the template.
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from('after the snapshot '.repeat(300)).subarray(0, 4096), 0, 4096, 8192);
    await handle.close();

    const made = await http('POST', `/snapshots/${snap.body.snapshotId}/templates`, { name: 'golden-snap', zoneId: 'zone-t' });
    expect(made.status).toBe(202);
    expect(await jobDone(made.body.jobId)).toMatchObject({ status: 'succeeded' });
    const template = await eventually('the template from the snapshot ready', async () => {
      const res = await http('GET', `/templates/${made.body.templateId}`);
      return res.body?.status === 'ready' ? res.body : undefined;
    });
    expect(template).toMatchObject({ detectedFormat: 'qcow2', virtualSizeBytes: atSnapshot.length, source: { kind: 'snapshot', volumeId: goldenRoot.id, snapshotId: snap.body.snapshotId } });
    // The temporary clone was made, exported and deleted.
    const exported = storageEvents.find((e) => e.type === 'VolumeExported' && (e.data as { path: string }).path.endsWith(`${made.body.templateId}.qcow2`));
    expect(exported).toBeDefined();
    const temporary = (exported!.data as { volumeId: string }).volumeId;
    await eventually('the temporary volume deleted', async () => storageEvents.find((e) => e.type === 'VolumeDeleted' && e.aggregateId === temporary));
    const raw = path.join(work, 'from-snapshot.raw');
    await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', path.join(work, 'templates', `${made.body.templateId}.qcow2`), raw]);
    expect((await readFile(raw)).equals(atSnapshot)).toBe(true);
  });

  it('finishes a spool after the storage service is killed in the middle of it (before the conversion)', async () => {
    const pool = await http('POST', '/pools', { name: 'tmpl-pool-2', plugin: 'file', zoneId: 'zone-t', config: { path: path.join(work, 'pool-2') } });
    expect((await jobDone(pool.body.jobId)).status).toBe('succeeded');
    // The storage service again, now set to kill itself between the base volume's intent and its conversion.
    const storage = services.find((s) => s.name === 'storage-service')!;
    await lib.stopServices([storage]);
    const [crashing] = await lib.startServices({ env: { ...serviceEnv(), STRATA_CRASH_POINTS: 'volume.before-image-convert' }, logDir: logDir(), only: ['storage-service'] });
    services = services.map((s) => (s === storage ? crashing : s));

    const deployed = await http('POST', `/templates/${templateId}/volumes`, { name: 'root-after-crash', poolId: pool.body.poolId });
    expect(deployed.status).toBe(202);
    rootIds.push(deployed.body.volumeId);
    await eventually('the storage service killed at the crash point', async () => (crashing.exited ? crashing.exited : undefined), 60_000);
    expect(crashing.exited).toMatchObject({ signal: 'SIGKILL' });

    // Restarted without the crash point: recovery converts the base; the saga goes on to the clone.
    const [restarted] = await lib.startServices({ env: serviceEnv(), logDir: logDir(), only: ['storage-service'] });
    services = services.map((s) => (s === crashing ? restarted : s));
    expect(await jobDone(deployed.body.jobId)).toMatchObject({ status: 'succeeded' });
    const volume = await eventually('the ROOT volume ready', async () => {
      const res = await http('GET', `/volumes/${deployed.body.volumeId}`);
      return res.body?.status === 'ready' ? res.body : undefined;
    });
    expect((await readFile(volume.path)).equals(expectedRaw)).toBe(true);
    const basesOnPool = imageEvents.filter((e) => e.type === 'TemplateSpoolRequested' && (e.data as { poolId: string }).poolId === pool.body.poolId);
    expect(basesOnPool).toHaveLength(1);
  });

  it('on StorPool, the second ROOT volume is one VolumeCreate on the base snapshot: no attach, no data written', async () => {
    const pool = await http('POST', '/pools', {
      name: 'tmpl-storpool', plugin: 'storpool', zoneId: 'zone-t',
      config: { host: '127.0.0.1', port: storpool.port, authToken: 'sp-e2e-token', template: 'nvme', devicePath: storpool.devicePath },
    });
    expect((await jobDone(pool.body.jobId)).status).toBe('succeeded');
    const deploy = async (name: string) => {
      // The data mover named in the request this time (the services also have it as their default).
      const deployed = await http('POST', `/templates/${templateId}/volumes`, { name, poolId: pool.body.poolId, dataMoverHostId });
      expect(deployed.status).toBe(202);
      rootIds.push(deployed.body.volumeId);
      expect(await jobDone(deployed.body.jobId)).toMatchObject({ status: 'succeeded' });
      return eventually(`${name} ready`, async () => {
        const res = await http('GET', `/volumes/${deployed.body.volumeId}`);
        return res.body?.status === 'ready' ? (res.body as { id: string; backendName: string }) : undefined;
      });
    };
    const volumeBytes = (v: { backendName: string }) => readFile(storpool.devicePath.replace('{name}', v.backendName));

    const first = await deploy('root-sp-1');
    expect((await volumeBytes(first)).subarray(0, VIRTUAL).equals(expectedRaw)).toBe(true);
    const before = (await storpool.calls()).length;
    const second = await deploy('root-sp-2');
    expect((await volumeBytes(second)).subarray(0, VIRTUAL).equals(expectedRaw)).toBe(true);

    // What Strata asked the array to do for the second one: read-only listings and one clone.
    const changes = (await storpool.calls()).slice(before).filter((c) => c.method === 'POST');
    console.log(`second ROOT volume on StorPool: ${changes.length} changing API call(s): ${changes.map((c) => c.path.split('/')[0]).join(', ')}`);
    expect(changes.map((c) => c.path.split('/')[0])).toEqual(['VolumeCreate']);
    expect(changes[0].body).toMatchObject({ parent: expect.any(String) });
  });

  it('deletes the template; its cached base stays while ROOT volumes are cloned from it, and goes with the last', async () => {
    const del = await http('DELETE', `/templates/${templateId}`);
    expect((await jobDone(del.body.jobId)).status).toBe('succeeded');
    const template = await eventually('the template deleted', async () => {
      const res = await http('GET', `/templates/${templateId}`);
      return res.body?.status === 'deleted' ? res.body : undefined;
    });
    expect(template.status).toBe('deleted');
    await expect(stat(path.join(work, 'templates', `${templateId}.qcow2`))).rejects.toMatchObject({ code: 'ENOENT' });
    await eventually('the base retirement blocked by its clones', async () => imageEvents.find((e) => e.type === 'TemplateBaseRetirementBlocked'));

    // Every ROOT volume deleted: the next sweep removes each base (volume and snapshot).
    expect(rootIds).toHaveLength(5);
    for (const root of rootIds) {
      const gone = await http('DELETE', `/volumes/${root}`);
      expect((await jobDone(gone.body.jobId)).status).toBe('succeeded');
    }
    const removed = await eventually('the three bases removed (two file pools, StorPool)', async () => {
      const found = imageEvents.filter((e) => e.type === 'TemplateBaseRemoved');
      return found.length === 3 ? found : undefined;
    }, 60_000);
    for (const event of removed) {
      const baseVolume = (event.data as { volumeId: string }).volumeId;
      expect(storageEvents.some((e) => e.type === 'VolumeDeleted' && e.aggregateId === baseVolume)).toBe(true);
    }
  });
});
