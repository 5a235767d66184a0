import { randomUUID } from 'node:crypto';
import { access, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findPlugin, startPowerFlexSimulator, type PowerFlexSimulator } from '@strata/backends';
import { PgEventStore } from '@strata/event-store';
import { backendVolumeName, createDriverFromConfig, poolKeyOf, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { AggregateRunner } from '@strata/service-kit';
import { commandEnvelope, eventually } from '@strata/testing';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';
import { driftDecider, driftStreamId } from './reconciliation/domain/drift';
import { Reconciler } from './reconciliation/application/reconciler';

const PASSWORD = 'Sc4le-io!drift';
const MiB = 2 ** 20;

type Drift = { orphans: { backendName: string; sizeBytes: number }[]; missing: { volumeId: string; backendName: string }[] };

/**
 * The reconciler against the real PostgreSQL and Kafka, with backend objects planted and
 * removed behind Strata's back: on a file pool (files in the pool directory) and on a
 * PowerFlex pool (through the vendor's REST API, on the simulator).
 */
describe('drift between the log and the backends', () => {
  let h: StorageHarness;
  let poolDir: string;
  let simDir: string;
  let sim: PowerFlexSimulator;

  const send = (aggregateId: string, value: unknown) => h.sendRaw(aggregateId, JSON.stringify(value));
  const eventFor = (type: string, causationId: string) => h.eventFor(type, causationId);
  /** Sends a command and waits for the event (or rejection) it causes. */
  const run = async (type: string, aggregateId: string, data: unknown, expect: string) => {
    const cmd = commandEnvelope(type, aggregateId, data);
    await send(aggregateId, cmd);
    return eventFor(expect, cmd.messageId);
  };
  const exists = (file: string) => access(file).then(() => true, () => false);
  /** A sparse file of `bytes`, as an operator's or a crashed tool's leftover would be. */
  const plant = async (name: string, bytes: number) => {
    const handle = await open(path.join(poolDir, `${name}.raw`), 'w');
    await handle.truncate(bytes);
    await handle.close();
  };

  beforeAll(async () => {
    poolDir = await mkdtemp(path.join(tmpdir(), 'strata-drift-'));
    simDir = await mkdtemp(path.join(tmpdir(), 'strata-drift-pflex-'));
    sim = await startPowerFlexSimulator({ port: 0, dataDir: simDir, username: 'admin', password: PASSWORD });
    h = await startStorageHarness('drift');
  });

  afterAll(async () => {
    await h?.close();
    await sim?.close();
    await rm(poolDir, { recursive: true, force: true });
    await rm(simDir, { recursive: true, force: true });
  });

  describe('on a file pool', () => {
    const poolId = randomUUID();
    const lostId = randomUUID();
    const keptId = randomUUID();
    const adoptName = `vol-${randomUUID()}`;
    const strayName = `vol-${randomUUID()}`;
    let keptBackendName: string;

    it('finds a planted orphan and a volume whose file was deleted behind its back', async () => {
      await run('AddStoragePool', poolId, { name: 'drift-1', plugin: 'file', zoneId: 'zone-1', config: { path: poolDir } }, 'StoragePoolAdded');
      const lost = await run('CreateVolume', lostId, { name: 'lost', poolId, sizeBytes: 4 * MiB }, 'VolumeCreated');
      const kept = await run('CreateVolume', keptId, { name: 'kept', poolId, sizeBytes: 4 * MiB }, 'VolumeCreated');
      keptBackendName = (kept.data as { backendName: string }).backendName;
      const lostData = lost.data as { backendName: string; path: string };

      await plant(adoptName, 16 * MiB);
      await plant(strayName, 8 * MiB);
      await rm(lostData.path);

      const detected = await run('ReconcilePool', poolId, {}, 'PoolDriftDetected');
      expect(detected.aggregateId).toBe(poolId);
      const drift = detected.data as Drift;
      expect(drift.orphans).toEqual(
        [
          { backendName: adoptName, sizeBytes: 16 * MiB },
          { backendName: strayName, sizeBytes: 8 * MiB },
        ].sort((a, b) => (a.backendName < b.backendName ? -1 : 1)),
      );
      expect(drift.missing).toEqual([{ volumeId: lostId, backendName: lostData.backendName }]);
    });

    it('adopts an orphan as a ready volume (manage), which the next reconciliation no longer lists', async () => {
      const volumeId = randomUUID();
      const managed = await run('ManageVolume', volumeId, { poolId, backendName: adoptName, name: 'adopted' }, 'VolumeManaged');
      expect(managed.data).toEqual({
        volumeId,
        name: 'adopted',
        poolId,
        backendName: adoptName,
        sizeBytes: 16 * MiB,
        path: path.join(poolDir, `${adoptName}.raw`),
      });

      const again = await run('ReconcilePool', poolId, {}, 'PoolDriftDetected');
      const drift = again.data as Drift;
      expect(drift.orphans.map((o) => o.backendName)).toEqual([strayName]);
      expect(drift.missing.map((m) => m.volumeId)).toEqual([lostId]);

      // Adopted once: a second adoption of the same object is refused.
      const twice = await run('ManageVolume', randomUUID(), { poolId, backendName: adoptName, name: 'adopted-2' }, 'CommandRejected');
      expect(twice.data).toMatchObject({ error: { code: 'drift.orphan_owned' } });
    });

    it('removes an orphan on an explicit command: intent, delete, outcome', async () => {
      const cmd = commandEnvelope('RemoveOrphan', poolId, { backendName: strayName });
      await send(poolId, cmd);
      await eventFor('OrphanRemovalRequested', cmd.messageId);
      const removed = await eventFor('OrphanRemoved', cmd.messageId);
      expect(removed.data).toEqual({ poolId, backendName: strayName });
      expect(await exists(path.join(poolDir, `${strayName}.raw`))).toBe(false);
    });

    it('refuses to remove what a volume owns, or what no reconciliation reported, and deletes nothing', async () => {
      const owned = await run('RemoveOrphan', poolId, { backendName: keptBackendName }, 'CommandRejected');
      expect(owned.data).toMatchObject({ error: { code: 'drift.orphan_owned', message: expect.stringContaining(keptId) } });
      expect(await exists(path.join(poolDir, `${keptBackendName}.raw`))).toBe(true);

      const late = `vol-${randomUUID()}`;
      await plant(late, MiB);
      const unknown = await run('RemoveOrphan', poolId, { backendName: late }, 'CommandRejected');
      expect(unknown.data).toMatchObject({ error: { code: 'drift.orphan_unknown' } });
      expect(await exists(path.join(poolDir, `${late}.raw`))).toBe(true);
      await rm(path.join(poolDir, `${late}.raw`));
    });

    it('finishes, at the next scheduled round, a removal a crash left between intent and outcome', async () => {
      const leftover = `vol-${randomUUID()}`;
      await plant(leftover, MiB);
      const found = await run('ReconcilePool', poolId, {}, 'PoolDriftDetected');
      expect((found.data as Drift).orphans.map((o) => o.backendName)).toEqual([leftover]);

      // The intent alone, as a handler that died before the backend call leaves it.
      const runner = h.app.get(AggregateRunner);
      const crashedId = randomUUID();
      await runner.execute(
        driftDecider,
        driftStreamId(poolId),
        poolId,
        () => ({ type: 'RemoveOrphan' as const, poolId, backendName: leftover, orphanKnown: true, ownerVolumeId: null }),
        { causationId: crashedId, correlationId: crashedId, tenant: null },
        { outboxTopic: h.topics.storageEvents },
      );
      expect(await exists(path.join(poolDir, `${leftover}.raw`))).toBe(true);

      await h.app.get(Reconciler).reconcileAll();
      const history = (await h.app.get(PgEventStore).readStream(driftStreamId(poolId))).map((e) => e.envelope);
      const outcome = history.find((e) => e.type === 'OrphanRemoved' && (e.data as { backendName: string }).backendName === leftover);
      expect(outcome?.causationId).toBe(crashedId); // the crashed command's job ends
      expect(await exists(path.join(poolDir, `${leftover}.raw`))).toBe(false);
      // The same round found only the lost volume, as already reported: nothing new to record.
      expect(history[history.length - 1]).toBe(outcome);
    });

    it('lets exactly one of a racing adoption and removal of the same orphan win', async () => {
      const contested = `vol-${randomUUID()}`;
      await plant(contested, MiB);
      await run('ReconcilePool', poolId, {}, 'PoolDriftDetected');
      const manage = commandEnvelope('ManageVolume', randomUUID(), { poolId, backendName: contested, name: 'contested' });
      const remove = commandEnvelope('RemoveOrphan', poolId, { backendName: contested });
      await Promise.all([send(manage.aggregateId, manage), send(poolId, remove)]);
      const answer = (id: string, types: string[]) =>
        eventually(`an answer to ${id}`, async () => h.events.find((e) => e.causationId === id && types.includes(e.type)));
      const managed = await answer(manage.messageId, ['VolumeManaged', 'CommandRejected']);
      const removed = await answer(remove.messageId, ['OrphanRemoved', 'OrphanRemovalFailed', 'CommandRejected']);
      const wins = [managed.type === 'VolumeManaged', removed.type === 'OrphanRemoved'];
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await exists(path.join(poolDir, `${contested}.raw`))).toBe(managed.type === 'VolumeManaged');
    });

    it('records a cleared drift once the lost volume is deleted, and stays quiet afterwards', async () => {
      await run('DeleteVolume', lostId, {}, 'VolumeDeleted');
      await run('ReconcilePool', poolId, {}, 'PoolDriftCleared');
      const store = h.app.get(PgEventStore);
      const before = (await store.readStream(driftStreamId(poolId))).length;
      await h.app.get(Reconciler).reconcileAll();
      expect((await store.readStream(driftStreamId(poolId))).length).toBe(before);
    });
  });

  describe('on a PowerFlex pool, through the vendor API', () => {
    it('reports our orphan and a volume removed behind our back, and leaves other installations\' objects alone', async () => {
      const { port } = new URL(sim.url);
      const url = `powerflex://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/pool1?protocol=http`;
      const poolId = randomUUID();
      await run('AddStoragePool', poolId, { name: 'pflex-drift', plugin: 'powerflex', zoneId: 'zone-1', url }, 'StoragePoolAdded');
      const volumeId = randomUUID();
      const created = await run('CreateVolume', volumeId, { name: 'pf-lost', poolId, sizeBytes: 8 * 2 ** 30 }, 'VolumeCreated');
      const lostName = (created.data as { backendName: string }).backendName;

      // Another client of the same array: the operator's tools, or another cloud.
      const plugin = findPlugin('powerflex')!;
      const installationId = process.env.STRATA_INSTALLATION_ID!;
      const other: PrimaryStorageDriver = createDriverFromConfig(plugin, plugin.parseUrl!(url), { installationId });
      await other.connect();
      try {
        const ours = backendVolumeName(plugin.manifest, { volumeId: randomUUID(), poolKey: poolKeyOf(poolId), installationId });
        const foreign = backendVolumeName(plugin.manifest, { volumeId: randomUUID(), poolKey: poolKeyOf(poolId), installationId: 'zz99' });
        await other.createVolume({ name: ours, sizeBytes: 8 * 2 ** 30 });
        await other.createVolume({ name: foreign, sizeBytes: 8 * 2 ** 30 });
        await other.deleteVolume(lostName);

        const detected = await run('ReconcilePool', poolId, {}, 'PoolDriftDetected');
        expect(detected.data).toEqual({
          poolId,
          orphans: [{ backendName: ours, sizeBytes: 8 * 2 ** 30 }],
          missing: [{ volumeId, backendName: lostName }],
        });

        // The foreign object is not ours to remove.
        const refused = await run('RemoveOrphan', poolId, { backendName: foreign }, 'CommandRejected');
        expect(refused.data).toMatchObject({ error: { code: 'drift.orphan_unknown' } });
        expect((await other.listVolumes()).map((v) => v.name)).toContain(foreign);
      } finally {
        await other.close();
      }
    });
  });
});
