import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { topics as topicNames, type Envelope } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, infraEnv, type TestInfra } from '@strata/testing';

interface RunningService {
  name: string;
  url: string;
  exited: { code: number | null; signal: string | null } | null;
}
interface ServicesModule {
  startServices(options: { env: Record<string, string>; logDir: string; only: string[] }): Promise<RunningService[]>;
  stopServices(running: RunningService[]): Promise<void>;
}

const PORT = 18181;
const SIZE = 32 * 2 ** 20;

/**
 * The storage service as a real process, killed with SIGKILL between a volume's intent and
 * its outcome (before the backend call, and after it), then started again: recovery must
 * finish the volume with exactly one backend object, and the command must not run twice.
 */
describe('crash between intent and outcome', () => {
  let infra: TestInfra;
  let lib: ServicesModule;
  let bus: KafkaMessageBus;
  let sub: Subscription;
  let poolDir: string;
  let db: Client;
  let running: RunningService[] = [];
  const events: Envelope[] = [];
  const logDir = () => path.join(__dirname, '..', '..', '.strata', 'logs', `crash-${infra.topicPrefix.replace(/\W/g, '')}`);

  const start = async (crashPoints: string) => {
    running = await lib.startServices({
      env: { ...infraEnv(infra), STORAGE_SERVICE_PORT: String(PORT), STRATA_CRASH_POINTS: crashPoints },
      logDir: logDir(),
      only: ['storage-service'],
    });
  };
  const publish = (command: ReturnType<typeof commandEnvelope>) =>
    bus.publish([{ topic: topicNames(infra.topicPrefix).storageCommands, key: command.aggregateId, value: JSON.stringify(command) }]);
  const history = async (volumeId: string) =>
    (await db.query(`SELECT type FROM storage.events WHERE stream_id = $1 ORDER BY stream_version`, [`volume-${volumeId}`])).rows.map(
      (r: { type: string }) => r.type,
    );
  const filesOf = async (volumeId: string) => (await readdir(poolDir)).filter((f) => f.includes(volumeId));

  beforeAll(async () => {
    infra = await createTestInfra('crash');
    poolDir = await mkdtemp(path.join(tmpdir(), 'strata-crash-'));
    lib = (await import(path.join(__dirname, '..', '..', 'scripts', 'lib', 'services.mjs'))) as ServicesModule;
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'crash-e2e' });
    db = new Client({ connectionString: infra.databaseUrl });
    await db.connect();
    await start('');
    sub = await bus.subscribe({
      groupId: `${infra.topicPrefix}crash-observer`,
      topics: [topicNames(infra.topicPrefix).storageEvents],
      handle: async (m) => {
        events.push(JSON.parse(m.value!.toString('utf8')));
      },
    });
  });

  afterAll(async () => {
    await sub?.stop();
    await bus?.close();
    if (lib) await lib.stopServices(running);
    await db?.end();
    await infra?.dispose();
    if (poolDir) await rm(poolDir, { recursive: true, force: true });
  });

  let poolId: string;
  it('adds a file pool with the service running normally', async () => {
    poolId = randomUUID();
    const add = commandEnvelope('AddStoragePool', poolId, { name: 'crash-pool', plugin: 'file', zoneId: 'z1', config: { path: poolDir } });
    await publish(add);
    await eventually('StoragePoolAdded', async () => events.find((e) => e.type === 'StoragePoolAdded' && e.causationId === add.messageId));
    await lib.stopServices(running);
  });

  it.each([
    ['before the backend call', 'volume.before-backend.create', 0],
    ['after the backend call, before the outcome', 'volume.after-backend.create', 1],
  ])('finishes a volume whose service was killed %s', async (_, point, filesAtCrash) => {
    await start(point);
    const volumeId = randomUUID();
    const create = commandEnvelope('CreateVolume', volumeId, { name: 'crashy', poolId, sizeBytes: SIZE });
    await publish(create);
    const svc = running[0];
    await eventually('the storage service to be killed at the crash point', async () => (svc.exited ? svc.exited : undefined));
    expect(svc.exited?.signal).toBe('SIGKILL');
    // The intent is recorded, the outcome is not; the backend holds what it held at the crash.
    expect(await history(volumeId)).toEqual(['VolumeCreationRequested']);
    expect(await filesOf(volumeId)).toHaveLength(filesAtCrash);

    await start(''); // a plain restart: recovery runs at start
    await eventually('the volume to be finished', async () => ((await history(volumeId)).length === 2 ? true : undefined));
    expect(await history(volumeId)).toEqual(['VolumeCreationRequested', 'VolumeCreated']);
    const files = await filesOf(volumeId);
    expect(files).toHaveLength(1);
    expect((await stat(path.join(poolDir, files[0]))).size).toBe(SIZE);
    // The redelivered command (its offset was never committed) finds its inbox mark: no second intent.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await history(volumeId)).toEqual(['VolumeCreationRequested', 'VolumeCreated']);
    await lib.stopServices(running);
  });

  describe('during a migration', () => {
    let targetId: string;
    let targetDir: string;
    let moverId: string;
    const planted = new Map<string, Buffer>();

    it('sets up a second pool, a data-mover host and two volumes holding data', async () => {
      await start('');
      targetDir = await mkdtemp(path.join(tmpdir(), 'strata-crash-target-'));
      targetId = randomUUID();
      moverId = randomUUID();
      const addTarget = commandEnvelope('AddStoragePool', targetId, { name: 'crash-target', plugin: 'file', zoneId: 'z1', config: { path: targetDir } });
      const register = commandEnvelope('RegisterHost', moverId, { name: 'mover', zoneId: 'z1', hypervisor: 'kvm' });
      await publish(addTarget);
      await publish(register);
      await eventually('the pool and host', async () =>
        events.some((e) => e.causationId === addTarget.messageId) && events.some((e) => e.causationId === register.messageId) ? true : undefined,
      );
      for (const name of ['mig-after-copy', 'mig-before-cleanup']) {
        const volumeId = randomUUID();
        const create = commandEnvelope('CreateVolume', volumeId, { name, poolId, sizeBytes: SIZE });
        await publish(create);
        const created = await eventually('VolumeCreated', async () => events.find((e) => e.type === 'VolumeCreated' && e.causationId === create.messageId));
        const bytes = Buffer.from(`${name} `.repeat(4096));
        const handle = await open((created.data as { path: string }).path, 'r+');
        await handle.write(bytes, 0, bytes.length, 5 * 2 ** 20);
        await handle.close();
        planted.set(name, bytes);
        planted.set(volumeId, bytes);
        planted.set(`${name}:id`, Buffer.from(volumeId));
      }
      await lib.stopServices(running);
    });

    afterAll(async () => {
      if (targetDir) await rm(targetDir, { recursive: true, force: true });
    });

    it.each([
      ['after the copy, before the switch is recorded', 'volume.after-backend.migrate', 'mig-after-copy'],
      ['after the switch, before the old copy is deleted', 'volume.before-backend.migrate-cleanup', 'mig-before-cleanup'],
    ])('finishes a migration killed %s: one copy on the destination, none left on the source', async (_, point, name) => {
      const volumeId = (planted.get(`${name}:id`) as Buffer).toString();
      await start(point);
      const migrate = commandEnvelope('MigrateVolume', volumeId, { destinationPoolId: targetId, dataMoverHostId: moverId });
      await publish(migrate);
      const svc = running[0];
      await eventually('the storage service to be killed at the crash point', async () => (svc.exited ? svc.exited : undefined));
      expect(svc.exited?.signal).toBe('SIGKILL');
      const atCrash = await history(volumeId);
      expect(atCrash.at(-1)).toBe(point === 'volume.after-backend.migrate' ? 'VolumeMigrationProgressed' : 'VolumeMigrated');
      // Both objects exist at the crash: the source and the full copy.
      expect(await filesOf(volumeId)).toHaveLength(1);

      await start('');
      await eventually('the migration to be finished', async () => ((await history(volumeId)).at(-1) === 'VolumeMigrationSourceDeleted' ? true : undefined));
      const done = await history(volumeId);
      expect(done.filter((t) => t === 'VolumeMigrationRequested')).toHaveLength(1);
      expect(done.filter((t) => t === 'VolumeMigrated')).toHaveLength(1);
      expect(await filesOf(volumeId)).toEqual([]);
      const copies = (await readdir(targetDir)).filter((f) => f.includes(migrate.messageId));
      expect(copies).toHaveLength(1);
      const copy = await readFile(path.join(targetDir, copies[0]));
      expect(copy.length).toBe(SIZE);
      const bytes = planted.get(name) as Buffer;
      expect(copy.subarray(5 * 2 ** 20, 5 * 2 ** 20 + bytes.length).equals(bytes)).toBe(true);
      await lib.stopServices(running);
    });
  });
});
