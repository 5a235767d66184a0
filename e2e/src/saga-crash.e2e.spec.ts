import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { templateBaseId, topics as topicNames } from '@strata/contracts';
import { KafkaMessageBus } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, infraEnv, type TestInfra } from '@strata/testing';
import {
  Api,
  corruptQcow2Data,
  fileObjects,
  fileSnapshots,
  freshAdminKey,
  makeQcow2,
  pattern,
  REPO,
  servicesModule,
  writeAt,
  type RunningService,
  type ServicesModule,
} from './support/saga-support.spec';

const PORT_BASE = 18380; // away from `npm start` and the other e2e files
const MiB = 2 ** 20;
const VIRTUAL = 16 * MiB;
const SIZE = 16 * MiB; // four of the backup service's 4 MiB chunks

/**
 * Each saga's OWNER killed (SIGKILL, at a crash point) in the middle of its saga, then started
 * again without the crash point: the saga must finish exactly once. The five services run as
 * processes on the real Kafka, PostgreSQL and qemu-img, with file pools; only the owner under
 * test is restarted. The sagas: deploy a ROOT volume (orchestrator), spool a template's base
 * (image service), delete a template with its bases (image service), VM snapshot (snapshot
 * service), restore a backup to a new volume (backup service); and one compensation (a spool
 * whose conversion fails cleans up its volume), killed inside the compensation.
 */
describe('sagas whose owner is killed half-way, end to end', () => {
  let infra: TestInfra;
  let lib: ServicesModule;
  let services: RunningService[] = [];
  let db: Client;
  let bus: KafkaMessageBus;
  let work: string;
  let server: Server;
  let serverUrl: string;
  let qcow2: Buffer;
  let expectedRaw: Buffer;
  const adminKey = freshAdminKey();
  const hostId = randomUUID();
  const api = new Api(`http://127.0.0.1:${PORT_BASE}`, adminKey);
  const poolDir = { a: '', b: '' };
  const poolId = { a: '', b: '' };

  const serviceEnv = (): Record<string, string> => ({
    ...infraEnv(infra),
    ORCHESTRATOR_PORT: String(PORT_BASE),
    STORAGE_SERVICE_PORT: String(PORT_BASE + 1),
    SNAPSHOT_SERVICE_PORT: String(PORT_BASE + 2),
    BACKUP_SERVICE_PORT: String(PORT_BASE + 3),
    IMAGE_SERVICE_PORT: String(PORT_BASE + 4),
    STRATA_IMAGE_SERVICE_URL: `http://127.0.0.1:${PORT_BASE + 4}`,
    // The orchestrator ensures this admin key at start (the access-control contract); the others ignore it.
    STRATA_BOOTSTRAP_ADMIN_KEY: adminKey,
    STRATA_DATA_MOVER_HOST_ID: hostId,
    STRATA_BACKUP_HOST_ID: hostId,
    STRATA_BASE_RETIREMENT_SWEEP_MS: '2000',
  });
  const logDir = () => path.join(REPO, '.strata', 'logs', `e2e-${infra.topicPrefix.replace(/\W/g, '')}`);

  /** Stops the owner (SIGTERM) and starts it again armed with the crash point; answers the armed process. */
  async function armOwner(name: string, point: string): Promise<RunningService> {
    const current = services.find((s) => s.name === name)!;
    await lib.stopServices([current]);
    const [armed] = await lib.startServices({ env: { ...serviceEnv(), STRATA_CRASH_POINTS: point }, logDir: logDir(), only: [name] });
    services = services.map((s) => (s === current ? armed : s));
    return armed;
  }
  /** Waits for the armed owner to have killed itself at its crash point. */
  async function killedAtCrashPoint(owner: RunningService): Promise<void> {
    await eventually(`${owner.name} killed at its crash point`, async () => owner.exited ?? undefined, 120_000);
    expect(owner.exited).toMatchObject({ signal: 'SIGKILL' });
  }
  /** Starts the dead owner again without any crash point: what it does at start (and its consumers) must finish the saga. */
  async function restartOwner(owner: RunningService): Promise<void> {
    const [restarted] = await lib.startServices({ env: serviceEnv(), logDir: logDir(), only: [owner.name] });
    services = services.map((s) => (s === owner ? restarted : s));
  }
  /** Event types of one stream, in order, from the owning service's own log. */
  async function stream(schema: string, streamId: string): Promise<string[]> {
    const { rows } = await db.query(`SELECT type FROM "${schema}".events WHERE stream_id = $1 ORDER BY stream_version`, [streamId]);
    return rows.map((r: { type: string }) => r.type);
  }
  const count = (types: readonly string[], type: string) => types.filter((t) => t === type).length;
  /** The data of the first event of a type in a stream. */
  async function eventData<T>(schema: string, streamId: string, type: string): Promise<T> {
    const { rows } = await db.query(`SELECT data FROM "${schema}".events WHERE stream_id = $1 AND type = $2 ORDER BY stream_version LIMIT 1`, [streamId, type]);
    return rows[0]?.data as T;
  }
  /** No leftovers: the file pools hold exactly the volumes the read model has live on them, and nothing else. */
  async function expectPoolsMatchReadModel(): Promise<void> {
    for (const key of ['a', 'b'] as const) {
      await eventually(
        `pool ${key}'s objects to match the read model`,
        async () => {
          const onDisk = await fileObjects(poolDir[key]);
          const live = await api.liveVolumesOn(poolId[key]);
          return JSON.stringify(onDisk) === JSON.stringify({ volumes: live, other: [] }) ? true : undefined;
        },
        30_000,
      ).catch(async (error: Error) => {
        // Show the difference rather than only the timeout.
        expect({ pool: key, ...(await fileObjects(poolDir[key])) }).toEqual({ pool: key, volumes: await api.liveVolumesOn(poolId[key]), other: [] });
        throw error;
      });
    }
  }

  beforeAll(async () => {
    infra = await createTestInfra('e2e-saga');
    work = await mkdtemp(path.join(tmpdir(), 'strata-e2e-saga-'));
    ({ qcow2, raw: expectedRaw } = await makeQcow2(work, VIRTUAL));
    server = createServer((req, res) => {
      if (req.url !== '/image.qcow2') return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': qcow2.length, 'content-type': 'application/octet-stream' }).end(qcow2);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    db = new Client({ connectionString: infra.databaseUrl });
    await db.connect();
    lib = await servicesModule();
    services = await lib.startServices({ env: serviceEnv(), logDir: logDir() });
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'e2e-saga' });
    // The data mover and backup host: this machine, registered as the other e2e specs do (a file pool needs no identity).
    const register = commandEnvelope('RegisterHost', hostId, { name: 'saga-host', zoneId: 'zone-s', hypervisor: 'kvm' }, { tenant: null });
    await bus.publish([{ topic: topicNames(infra.topicPrefix).storageCommands, key: hostId, value: JSON.stringify(register) }]);
    await eventually('the host registered', async () => ((await stream('storage', `host-${hostId}`)).length > 0 ? true : undefined), 60_000);

    for (const key of ['a', 'b'] as const) {
      poolDir[key] = path.join(work, `pool-${key}`);
      await mkdir(poolDir[key], { recursive: true });
      const pool = await api.succeeded(await api.call('POST', '/pools', { name: `saga-pool-${key}`, plugin: 'file', zoneId: 'zone-s', config: { path: poolDir[key] } }));
      poolId[key] = pool.poolId;
    }
    await api.succeeded(await api.call('POST', '/image-stores', { name: 'saga-store', zoneId: 'zone-s', path: work }));
  }, 180_000);

  afterAll(async () => {
    await bus?.close();
    if (lib) await lib.stopServices(services);
    await db?.end();
    await infra?.dispose();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function registerTemplate(name: string): Promise<string> {
    const sha256 = createHash('sha256').update(qcow2).digest('hex');
    const accepted = await api.succeeded(
      await api.call('POST', '/templates', { name, kind: 'template', format: 'qcow2', zoneId: 'zone-s', url: `${serverUrl}/image.qcow2`, checksum: { algorithm: 'sha256', value: sha256 } }),
    );
    await api.settled(`/templates/${accepted.templateId}`, ['ready']);
    return accepted.templateId as string;
  }

  let templateId: string;
  const roots: { id: string; poolKey: 'a' | 'b' }[] = [];

  it('deploy-ROOT saga: the orchestrator killed after the clone (CreateVolume) is queued; restarted, one ROOT volume with the template bytes', async () => {
    templateId = await registerTemplate('saga-template');
    const owner = await armOwner('orchestrator', 'deploy.after-clone-requested');
    const deployed = await api.call('POST', `/templates/${templateId}/volumes`, { name: 'saga-root-a', poolId: poolId.a });
    expect(deployed.status).toBe(202);
    const volumeId = deployed.body.volumeId as string;
    await killedAtCrashPoint(owner);
    // The base is ready and the saga recorded it with its CreateVolume; the clone's outcome is not recorded.
    expect(await stream('orchestrator', `deploy-${volumeId}`)).toEqual(['DeploymentStarted', 'DeploymentBaseReady']);

    await restartOwner(owner);
    expect(await api.jobDone(deployed.body.jobId)).toMatchObject({ status: 'succeeded' });
    roots.push({ id: volumeId, poolKey: 'a' });
    const volume = await api.settled(`/volumes/${volumeId}`, ['ready']);
    expect((await readFile(volume.path)).equals(expectedRaw)).toBe(true);
    // Exactly once: one saga run, one clone, one base on the pool.
    expect(await stream('orchestrator', `deploy-${volumeId}`)).toEqual(['DeploymentStarted', 'DeploymentBaseReady', 'DeploymentVolumeCreated']);
    expect(await stream('storage', `volume-${volumeId}`)).toEqual(['VolumeCreationRequested', 'VolumeCreated']);
    expect(await stream('image', `template-base-${templateBaseId(templateId, poolId.a)}`)).toEqual(['TemplateSpoolRequested', 'TemplateBaseVolumeCreated', 'TemplateSpooled']);
    await expectPoolsMatchReadModel();
  });

  it('spool saga: the image service killed after the base snapshot (CreateSnapshot) is queued; restarted, one base and the ROOT volume deployed', async () => {
    const owner = await armOwner('image-service', 'spool.after-snapshot-requested');
    const deployed = await api.call('POST', `/templates/${templateId}/volumes`, { name: 'saga-root-b', poolId: poolId.b });
    expect(deployed.status).toBe(202);
    const baseId = templateBaseId(templateId, poolId.b);
    await killedAtCrashPoint(owner);
    expect(await stream('image', `template-base-${baseId}`)).toEqual(['TemplateSpoolRequested', 'TemplateBaseVolumeCreated']);

    await restartOwner(owner);
    expect(await api.jobDone(deployed.body.jobId)).toMatchObject({ status: 'succeeded' });
    roots.push({ id: deployed.body.volumeId, poolKey: 'b' });
    const volume = await api.settled(`/volumes/${deployed.body.volumeId}`, ['ready']);
    expect((await readFile(volume.path)).equals(expectedRaw)).toBe(true);
    // One base: one attempt, one volume converted, one snapshot taken.
    expect(await stream('image', `template-base-${baseId}`)).toEqual(['TemplateSpoolRequested', 'TemplateBaseVolumeCreated', 'TemplateSpooled']);
    const base = await eventData<{ volumeId: string; snapshotId: string }>('image', `template-base-${baseId}`, 'TemplateSpoolRequested');
    expect(await stream('storage', `volume-${base.volumeId}`)).toEqual(['VolumeCreationRequested', 'VolumeCreated']);
    expect(await stream('snapshot', `snapshot-${base.snapshotId}`)).toEqual(['SnapshotRequested', 'SnapshotCreated']);
    const baseVolume = await api.settled(`/volumes/${base.volumeId}`, ['ready']);
    expect(await fileSnapshots(poolDir.b, baseVolume.backendName)).toHaveLength(1);
    await expectPoolsMatchReadModel();
  });

  it('compensation: a spool whose conversion fails deletes its half-made volume, even with the image service killed inside the compensation', async () => {
    // A template whose file breaks after registration: its header still reads (the storage service
    // accepts the CreateVolume and records the base volume), then its conversion fails.
    const doomed = await registerTemplate('saga-doomed');
    await corruptQcow2Data(path.join(work, 'templates', `${doomed}.qcow2`));
    const owner = await armOwner('image-service', 'spool.after-cleanup-requested');
    const deployed = await api.call('POST', `/templates/${doomed}/volumes`, { name: 'saga-root-doomed', poolId: poolId.a });
    expect(deployed.status).toBe(202);
    const baseId = templateBaseId(doomed, poolId.a);
    await killedAtCrashPoint(owner);
    expect(await stream('image', `template-base-${baseId}`)).toEqual(['TemplateSpoolRequested', 'TemplateSpoolFailed']);

    await restartOwner(owner);
    const job = await api.jobDone(deployed.body.jobId);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'volume.image_conversion_failed' } });
    const base = await eventData<{ volumeId: string }>('image', `template-base-${baseId}`, 'TemplateSpoolRequested');
    // What the spool made is gone (the compensation's DeleteVolume, sent once after the restart); the ROOT volume was never asked for.
    await eventually('the half-made base volume deleted', async () => ((await stream('storage', `volume-${base.volumeId}`)).at(-1) === 'VolumeDeleted' ? true : undefined), 60_000);
    const history = await stream('storage', `volume-${base.volumeId}`);
    expect(history.slice(0, 2)).toEqual(['VolumeCreationRequested', 'VolumeCreationFailed']);
    expect(count(history, 'VolumeDeletionRequested')).toBe(1);
    expect(count(history, 'VolumeDeleted')).toBe(1);
    expect(await stream('storage', `volume-${deployed.body.volumeId}`)).toEqual([]);
    expect(await stream('orchestrator', `deploy-${deployed.body.volumeId}`)).toEqual(['DeploymentStarted', 'DeploymentFailed']);
    expect(await stream('image', `template-base-${baseId}`)).toEqual(['TemplateSpoolRequested', 'TemplateSpoolFailed']);
    await expectPoolsMatchReadModel();
  });

  it('template deletion saga: the image service killed after the first base is asked to go; restarted, the template and both bases are gone', async () => {
    // The ROOT volumes cloned from the bases go first (a base is kept while clones of it live).
    expect(roots).toHaveLength(2);
    for (const root of roots) await api.succeeded(await api.call('DELETE', `/volumes/${root.id}`));
    const baseStreams = [poolId.a, poolId.b].map((p) => `template-base-${templateBaseId(templateId, p)}`);
    const baseVolumes = await Promise.all(baseStreams.map(async (s) => (await eventData<{ volumeId: string }>('image', s, 'TemplateSpoolRequested')).volumeId));

    const owner = await armOwner('image-service', 'template.after-base-retirement-requested');
    const deleted = await api.call('DELETE', `/templates/${templateId}`);
    expect(deleted.status).toBe(202);
    await killedAtCrashPoint(owner);
    const atCrash = await Promise.all(baseStreams.map((s) => stream('image', s)));
    expect(atCrash.filter((types) => types.includes('TemplateBaseRetirementRequested')).length).toBeGreaterThanOrEqual(1);

    await restartOwner(owner);
    expect(await api.jobDone(deleted.body.jobId)).toMatchObject({ status: 'succeeded' });
    await api.settled(`/templates/${templateId}`, ['deleted']);
    for (const s of baseStreams) {
      await eventually(`${s} removed`, async () => ((await stream('image', s)).at(-1) === 'TemplateBaseRemoved' ? true : undefined), 60_000);
      const types = await stream('image', s);
      expect(count(types, 'TemplateBaseRetirementRequested')).toBe(1);
      expect(count(types, 'TemplateBaseRemoved')).toBe(1);
    }
    for (const v of baseVolumes) expect(count(await stream('storage', `volume-${v}`), 'VolumeDeleted')).toBe(1);
    await expect(readFile(path.join(work, 'templates', `${templateId}.qcow2`))).rejects.toMatchObject({ code: 'ENOENT' });
    await expectPoolsMatchReadModel();
    for (const key of ['a', 'b'] as const) expect((await fileObjects(poolDir[key])).volumes).toEqual([]);
  });

  // Two owners that do not take part in each other's saga, killed in one round (each restarted
  // once): a killed member holds its consumer groups until its Kafka session expires (30 s), and
  // waiting for that once rather than twice keeps this file near four minutes.
  it('VM snapshot and restore sagas: the snapshot service killed after the group snapshot, the backup service after the new volume is asked for; restarted, each finishes once', async () => {
    // The VM: two volumes on pool a with data.
    const members: { id: string; path: string; backendName: string; bytes: Buffer }[] = [];
    for (const name of ['vm-disk-0', 'vm-disk-1']) {
      const accepted = await api.succeeded(await api.call('POST', '/volumes', { name, poolId: poolId.a, sizeBytes: SIZE }));
      const volume = await api.settled(`/volumes/${accepted.volumeId}`, ['ready']);
      const bytes = pattern(`saga ${name}`, MiB);
      await writeAt(volume.path, 3 * MiB, bytes);
      members.push({ id: volume.id, path: volume.path, backendName: volume.backendName, bytes });
    }
    // The backup to restore: a volume on pool a, backed up to a directory target.
    const source = await api.succeeded(await api.call('POST', '/volumes', { name: 'saga-backup-source', poolId: poolId.a, sizeBytes: SIZE }));
    const sourceVolume = await api.settled(`/volumes/${source.volumeId}`, ['ready']);
    await writeAt(sourceVolume.path, 0, pattern('saga backup source', (SIZE * 3) / 4));
    const backupBytes = await readFile(sourceVolume.path);
    const targetDir = path.join(work, 'target');
    await mkdir(targetDir, { recursive: true });
    const target = await api.succeeded(await api.call('POST', '/backup-targets', { name: 'saga-dir', kind: 'directory', directory: { path: targetDir } }));
    const backedUp = await api.succeeded(await api.call('POST', `/volumes/${source.volumeId}/backups`, { targetId: target.targetId }));
    await api.settled(`/backups/${backedUp.backupId}`, ['completed']);

    const snapshotOwner = await armOwner('snapshot-service', 'vmsnapshot.after-backend.create');
    const backupOwner = await armOwner('backup-service', 'restore.after-volume-requested');
    const taken = await api.call('POST', '/vm-snapshots', { vmId: 'vm-saga', name: 'saga-vmsnap', volumeIds: members.map((m) => m.id) });
    expect(taken.status).toBe(202);
    const vmSnapshotId = taken.body.vmSnapshotId as string;
    const restore = await api.call('POST', `/backups/${backedUp.backupId}/restore`, { poolId: poolId.b, name: 'saga-restored' });
    expect(restore.status).toBe(202);
    const restoreId = restore.body.restoreId as string;
    await Promise.all([killedAtCrashPoint(snapshotOwner), killedAtCrashPoint(backupOwner)]);
    // VM snapshot: the backend made every member, the outcome is not recorded.
    expect(await stream('snapshot', `vmsnapshot-${vmSnapshotId}`)).toEqual(['VmSnapshotRequested']);
    // Restore: the new volume is asked for (in the outbox), nothing else.
    expect(await stream('backup', `restore-${restoreId}`)).toEqual(['RestoreRequested', 'RestoreStepRequested']);
    // Written after the group snapshot was taken: not in it.
    for (const m of members) await writeAt(m.path, 3 * MiB, pattern('after the snapshot', MiB));

    await Promise.all([restartOwner(snapshotOwner), restartOwner(backupOwner)]);

    // VM snapshot: every member once, with the bytes of the moment of the snapshot.
    expect(await api.jobDone(taken.body.jobId)).toMatchObject({ status: 'succeeded' });
    const vmSnapshot = await api.settled(`/vm-snapshots/${vmSnapshotId}`, ['ready']);
    expect(vmSnapshot.members.map((m: { volumeId: string }) => m.volumeId).sort()).toEqual(members.map((m) => m.id).sort());
    expect(await stream('snapshot', `vmsnapshot-${vmSnapshotId}`)).toEqual(['VmSnapshotRequested', 'VmSnapshotCreated']);
    for (const m of members) {
      const recorded = vmSnapshot.members.find((x: { volumeId: string }) => x.volumeId === m.id);
      expect(await fileSnapshots(poolDir.a, m.backendName)).toEqual([recorded.snapshotBackendName]);
      const file = await readFile(path.join(poolDir.a, '.snapshots', m.backendName, `${recorded.snapshotBackendName}.raw`));
      expect(file.subarray(3 * MiB, 4 * MiB).equals(m.bytes)).toBe(true);
    }

    // Restore: one restored volume with the backup's bytes, created, attached and detached once.
    expect(await api.jobDone(restore.body.jobId)).toMatchObject({ status: 'succeeded' });
    const done = await api.settled(`/restores/${restoreId}`, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', backupId: backedUp.backupId });
    const restored = await api.settled(`/volumes/${done.volumeId}`, ['ready']);
    expect((await readFile(restored.path)).equals(backupBytes)).toBe(true);
    const history = await stream('storage', `volume-${done.volumeId}`);
    expect(count(history, 'VolumeCreationRequested')).toBe(1);
    expect(count(history, 'VolumeAttached')).toBe(1);
    expect(count(history, 'VolumeDetached')).toBe(1);
    const steps = await stream('backup', `restore-${restoreId}`);
    expect(count(steps, 'RestoreRequested')).toBe(1);
    expect(count(steps, 'RestoreCompleted')).toBe(1);
    expect(await api.liveVolumesOn(poolId.b)).toEqual([restored.backendName]);
    await expectPoolsMatchReadModel();
  });
});
