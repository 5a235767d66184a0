import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import S3rver from 's3rver';
import { topics as topicNames, type Envelope } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, infraEnv, type TestInfra } from '@strata/testing';

// s3rver makes ListObjectsV2 continuation tokens with DES, which Node 24's OpenSSL 3 refuses
// unless node runs with --openssl-legacy-provider. The test's S3 server (in this process), not
// the code under test, gets a stand-in: DES becomes the identity (as in the backup service's tests).
jest.mock('crypto', () => {
  const actual = jest.requireActual<typeof import('crypto')>('crypto');
  const identity = () => ({ update: (data: string | Buffer) => Buffer.from(data), final: () => Buffer.alloc(0) });
  return {
    ...actual,
    createCipheriv: (algorithm: string, ...rest: [never, never]) => (algorithm === 'des' ? identity() : actual.createCipheriv(algorithm, ...rest)),
    createDecipheriv: (algorithm: string, ...rest: [never, never]) => (algorithm === 'des' ? identity() : actual.createDecipheriv(algorithm, ...rest)),
  };
});

interface RunningService {
  name: string;
  url: string;
  exited: { code: number | null; signal: string | null } | null;
}
interface ServicesModule {
  startServices(options: { env: Record<string, string>; logDir: string; only?: string[] }): Promise<RunningService[]>;
  stopServices(running: RunningService[]): Promise<void>;
}

const PORT_BASE = 18280; // away from `npm start` and the other e2e files
const MiB = 2 ** 20;
const SIZE = 128 * MiB; // 32 chunks of the backup service's 4 MiB
const REPO = path.join(__dirname, '..', '..');

/** Bytes no one would mistake for another volume's: a hash chain, with holes (all-zero chunks) left as they are. */
function pattern(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Writes `bytes` at `offset` of a file (a volume's device on the file backend and the StorPool simulator). */
async function writeAt(file: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

/**
 * Backups across the five services as processes, on the real Kafka and PostgreSQL: a file pool's
 * volume backed up to a directory target (full, then incremental after 1 % of it changed),
 * verified, and restored to new volumes and over itself, byte for byte; the same round trip on a
 * StorPool pool (the vendor simulator as a process) and to an S3 target (s3rver in this process).
 */
describe('backups and restores, end to end', () => {
  let infra: TestInfra;
  let services: RunningService[] = [];
  let lib: ServicesModule;
  let bus: KafkaMessageBus;
  let sub: Subscription;
  let work: string;
  let simulator: ChildProcess | undefined;
  let s3rver: S3rver | undefined;
  const storageEvents: Envelope[] = [];
  const backupEvents: Envelope[] = [];
  /** Credentials given to Strata in this run: none may appear in a service's log. */
  const credentials: string[] = [];
  /** The backup service's data mover: a registered host of the zone, with its StorPool client id so StorPool volumes attach to it. */
  const backupHostId = randomUUID();
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
    STRATA_BACKUP_HOST_ID: backupHostId,
    STRATA_DATA_MOVER_HOST_ID: backupHostId,
  });
  const logDir = () => path.join(REPO, '.strata', 'logs', `e2e-${infra.topicPrefix.replace(/\W/g, '')}`);

  const http = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
  };
  const jobDone = (jobId: string, timeoutMs = 120_000) =>
    eventually(`job ${jobId} to finish`, async () => {
      const { status, body } = await http('GET', `/jobs/${jobId}`);
      return status === 200 && (body.status === 'succeeded' || body.status === 'failed') ? body : undefined;
    }, timeoutMs);
  const succeeded = async (res: { status: number; body: { jobId: string } }) => {
    expect(res.status).toBe(202);
    const job = await jobDone(res.body.jobId);
    if (job.status !== 'succeeded') throw new Error(`job ${res.body.jobId} failed: ${JSON.stringify(job.error)}`);
    return job;
  };
  const volumeReady = (id: string) =>
    eventually(`volume ${id} ready`, async () => {
      const res = await http('GET', `/volumes/${id}`);
      return res.body?.status === 'ready' ? res.body : undefined;
    }, 60_000);
  const backupSettled = (id: string) =>
    eventually(`backup ${id} settled`, async () => {
      const res = await http('GET', `/backups/${id}`);
      return res.body && ['completed', 'failed'].includes(res.body.status) ? res.body : undefined;
    }, 120_000);

  async function addPool(name: string, plugin: string, config: Record<string, unknown>): Promise<string> {
    const res = await http('POST', '/pools', { name, plugin, zoneId: 'zone-b', config });
    await succeeded(res);
    return res.body.poolId;
  }
  async function addTarget(body: Record<string, unknown>): Promise<string> {
    const res = await http('POST', '/backup-targets', body);
    await succeeded(res);
    return res.body.targetId;
  }
  async function createVolume(poolId: string, name: string): Promise<{ id: string; path: string | null; backendName: string }> {
    const res = await http('POST', '/volumes', { name, poolId, sizeBytes: SIZE });
    await succeeded(res);
    return volumeReady(res.body.volumeId);
  }
  async function backUp(volumeId: string, targetId: string, extra: Record<string, unknown> = {}) {
    const res = await http('POST', `/volumes/${volumeId}/backups`, { targetId, ...extra });
    await succeeded(res);
    const backup = await backupSettled(res.body.backupId);
    expect(backup).toMatchObject({ status: 'completed', volumeId, targetId });
    return backup;
  }
  /** Restores and answers the volume written. */
  async function restore(backupId: string, body: Record<string, unknown>): Promise<string> {
    const res = await http('POST', `/backups/${backupId}/restore`, body);
    await succeeded(res);
    const done = await eventually(`restore ${res.body.restoreId}`, async () => {
      const r = await http('GET', `/restores/${res.body.restoreId}`);
      return r.body?.status === 'completed' || r.body?.status === 'failed' ? r.body : undefined;
    }, 60_000);
    expect(done).toMatchObject({ status: 'completed', backupId, progressPercent: 100 });
    if (res.body.volumeId) expect(done.volumeId).toBe(res.body.volumeId);
    return done.volumeId as string;
  }

  beforeAll(async () => {
    infra = await createTestInfra('e2e-bkp');
    work = await mkdtemp(path.join(tmpdir(), 'strata-e2e-bkp-'));
    lib = (await import(path.join(REPO, 'scripts', 'lib', 'services.mjs'))) as ServicesModule;
    services = await lib.startServices({ env: serviceEnv(), logDir: logDir() });
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'e2e-bkp' });
    const names = topicNames(infra.topicPrefix);
    sub = await bus.subscribe({
      groupId: `${infra.topicPrefix}e2e-bkp-observer`,
      topics: [names.storageEvents, names.backupEvents],
      handle: async (m) => {
        const envelope = JSON.parse(m.value!.toString('utf8')) as Envelope;
        (m.topic === names.backupEvents ? backupEvents : storageEvents).push(envelope);
      },
    });
    // The backup host: this machine, registered with the id the backup service was started with.
    const register = commandEnvelope('RegisterHost', backupHostId, { name: 'backup-host', zoneId: 'zone-b', hypervisor: 'kvm', identities: { storpoolClientId: 1 } }, { tenant: null });
    await bus.publish([{ topic: names.storageCommands, key: backupHostId, value: JSON.stringify(register) }]);
    await eventually('the backup host registered', async () => storageEvents.find((e) => e.type === 'HostRegistered' && e.aggregateId === backupHostId));
  }, 180_000);

  afterAll(async () => {
    await sub?.stop();
    await bus?.close();
    if (lib) await lib.stopServices(services);
    if (simulator && simulator.exitCode === null) {
      const exited = new Promise((resolve) => simulator!.once('exit', resolve));
      simulator.kill('SIGTERM');
      await exited;
    }
    await s3rver?.close();
    await infra?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  let filePoolId: string;
  let dirTargetId: string;
  let original: { id: string; path: string };
  let before: Buffer;
  let after: Buffer;
  let fullId: string;
  let incrementalId: string;

  it('backs a file volume up to a directory target (full), then after 1 % of it changed (incremental, few new chunks)', async () => {
    filePoolId = await addPool('bkp-files', 'file', { path: path.join(work, 'pool') });
    const targetDir = path.join(work, 'target');
    await mkdir(targetDir, { recursive: true });
    dirTargetId = await addTarget({ name: 'bkp-dir', kind: 'directory', directory: { path: targetDir } });

    const volume = await createVolume(filePoolId, 'bkp-source');
    original = { id: volume.id, path: volume.path! };
    // Three quarters written, the last quarter left as holes (all-zero chunks, not stored).
    await writeAt(original.path, 0, pattern('strata backup source', (SIZE * 3) / 4));
    before = await readFile(original.path);

    const full = await backUp(original.id, dirTargetId);
    fullId = full.id;
    expect(full).toMatchObject({ kind: 'full', parentBackupId: null, chunks: 32, zeroChunks: 8, newChunks: 24, reusedChunks: 0 });

    // 1 % of the volume, in one place.
    const changed = Math.round(SIZE / 100);
    await writeAt(original.path, 40 * MiB + 12345, pattern('one percent changed', changed));
    after = await readFile(original.path);
    const second = await backUp(original.id, dirTargetId);
    incrementalId = second.id;
    expect(second).toMatchObject({ kind: 'incremental', parentBackupId: fullId, chunks: 32, zeroChunks: 8 });
    expect(second.newChunks).toBeGreaterThanOrEqual(1);
    expect(second.newChunks).toBeLessThanOrEqual(2);
    expect(second.bytesWritten).toBeLessThan(full.bytesWritten / 5);
    expect((await http('GET', `/backups/${incrementalId}`)).body.chain).toEqual([fullId]);
    console.log(`file volume ${SIZE / MiB} MiB: full backup bytesWritten=${full.bytesWritten} (new chunks ${full.newChunks}); ` +
      `incremental after ${changed} changed bytes: bytesWritten=${second.bytesWritten} (new ${second.newChunks}, reused ${second.reusedChunks})`);
  });

  it('verifies the full backup: every chunk read back and hashed', async () => {
    const res = await http('POST', `/backups/${fullId}/verify`);
    const job = await succeeded(res);
    expect(job.result).toMatchObject({ backupId: fullId, chunksChecked: expect.any(Number) });
    const backup = (await http('GET', `/backups/${fullId}`)).body;
    expect(backup.lastVerification).toMatchObject({ result: 'succeeded' });
  });

  it('restores each backup to a new volume on the pool: the full one holds the bytes before the change, the incremental one after it', async () => {
    const fromFull = await volumeReady(await restore(fullId, { poolId: filePoolId, name: 'restored-full' }));
    expect((await readFile(fromFull.path)).equals(before)).toBe(true);
    const fromIncremental = await volumeReady(await restore(incrementalId, { poolId: filePoolId, name: 'restored-incr' }));
    expect((await readFile(fromIncremental.path)).equals(after)).toBe(true);
  });

  it('restores the full backup over its own (detached) volume', async () => {
    const volumeId = await restore(fullId, { overOriginal: true });
    expect(volumeId).toBe(original.id);
    await volumeReady(original.id);
    expect((await readFile(original.path)).equals(before)).toBe(true);
  });

  it('does the round trip on a StorPool pool (the vendor simulator as a process): backup and restore byte-identical', async () => {
    const simDir = path.join(work, 'storpool-sim');
    const token = `sp-e2e-${randomUUID().slice(0, 8)}`;
    credentials.push(token);
    simulator = spawn(path.join(REPO, 'node_modules', '.bin', 'node'), [path.join(REPO, 'libs', 'backends', 'dist', 'storpool', 'simulator', 'main.js'), '--port', '0', '--data-dir', simDir, '--token', token, '--clients', '1,2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    simulator.stderr!.resume();
    // The simulator prints its API URL as its first line of stdout.
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: simulator!.stdout! }).once('line', resolve);
      simulator!.once('exit', (code) => reject(new Error(`StorPool simulator exited (${code})`)));
    });
    const { hostname, port } = new URL(url);
    const poolId = await addPool('bkp-storpool', 'storpool', {
      host: hostname,
      port: Number(port),
      authToken: token,
      template: 'nvme',
      // The simulator's devices are its sparse files.
      devicePath: path.join(simDir, 'volumes', '{name}.raw'),
    });
    const volume = await createVolume(poolId, 'sp-source');
    // Written straight into the simulator's file for the volume, which is what its device is:
    // no host in this test can attach a StorPool volume other than the backup host itself.
    const device = path.join(simDir, 'volumes', `${volume.backendName}.raw`);
    await writeAt(device, 0, pattern('storpool volume', SIZE / 2));
    const written = await readFile(device);
    expect(written.length).toBe(SIZE);

    const backup = await backUp(volume.id, dirTargetId);
    expect(backup).toMatchObject({ kind: 'full', chunks: 32, zeroChunks: 16 });
    const restored = await volumeReady(await restore(backup.id, { poolId, name: 'sp-restored' }));
    expect(restored.id).not.toBe(volume.id);
    const restoredFile = path.join(simDir, 'volumes', `${restored.backendName}.raw`);
    expect((await readFile(restoredFile)).equals(written)).toBe(true);
    console.log(`StorPool volume ${SIZE / MiB} MiB: backup bytesWritten=${backup.bytesWritten} (new chunks ${backup.newChunks}, zero ${backup.zeroChunks}); restored byte-identical`);
  });

  it('backs up to an S3 target (s3rver) and restores from it; the secret is never shown back', async () => {
    const BUCKET = 'strata-e2e';
    s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory: path.join(work, 's3rver'), silent: true, configureBuckets: [{ name: BUCKET }] });
    const address = await s3rver.run();
    const secret = `s3-e2e-secret-${randomUUID()}`;
    credentials.push(secret);
    // s3rver checks the access key id (S3RVER), not the signature.
    const targetId = await addTarget({
      name: 'bkp-s3',
      kind: 's3',
      s3: { endpoint: `http://127.0.0.1:${address.port}`, bucket: BUCKET, prefix: 'e2e/', accessKeyId: 'S3RVER', secretAccessKey: secret },
    });
    const shown = await http('GET', `/backup-targets/${targetId}`);
    expect(shown.body.config).toMatchObject({ bucket: BUCKET, accessKeyId: 'S3RVER', secretAccessKey: '***' });
    expect(shown.text).not.toContain(secret);
    expect(backupEvents.filter((e) => JSON.stringify(e).includes(secret))).toEqual([]);

    const backup = await backUp(original.id, targetId);
    expect(backup).toMatchObject({ kind: 'full', chunks: 32 });
    const restored = await volumeReady(await restore(backup.id, { poolId: filePoolId, name: 'restored-from-s3' }));
    expect((await readFile(restored.path)).equals(before)).toBe(true);
    console.log(`S3 target: backup bytesWritten=${backup.bytesWritten} (new chunks ${backup.newChunks}); restored byte-identical`);
  });

  it("leaves the S3 secret and the StorPool token out of every service's log", async () => {
    expect(credentials).toHaveLength(2);
    for (const name of ['orchestrator', 'storage-service', 'snapshot-service', 'backup-service', 'image-service']) {
      const log = await readFile(path.join(logDir(), `${name}.log`), 'utf8');
      expect({ name, leaked: credentials.filter((c) => log.includes(c)) }).toEqual({ name, leaked: [] });
    }
  });
});
