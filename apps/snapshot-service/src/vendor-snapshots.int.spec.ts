import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startLinstorSimulator,
  startPowerFlexSimulator,
  startStorPoolSimulator,
  type LinstorSimulator,
  type PowerFlexSimulator,
  type StorPoolSimulator,
} from '@strata/backends';
import { findPlugin } from '@strata/backends';
import { PgEventStore } from '@strata/event-store';
import { backendObjectName, capable, OBJECT_PREFIXES, poolKeyOf } from '@strata/plugin-sdk';
import { SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';
import { eventually } from '@strata/testing';
import { SnapshotRecovery } from './snapshots/application/snapshot-recovery';
import { startSnapshotHarness, type SnapshotHarness, type TestPool, type TestVolume } from './testing/snapshot-harness.spec';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Reads or writes the first bytes of a volume through its device (the simulators back each volume with a sparse file). */
async function onDevice(devicePath: string, write?: Buffer): Promise<Buffer> {
  const handle = await open(devicePath, 'r+');
  try {
    if (write) await handle.write(write, 0, write.length, 0);
    const out = Buffer.alloc(MiB);
    await handle.read(out, 0, MiB, 0);
    return out;
  } finally {
    await handle.close();
  }
}

/**
 * Snapshots through the snapshot service on the vendor simulators, each pool's credentials
 * sealed in storage.pool_secrets as the storage service leaves them: PowerFlex (password; the
 * 127-per-VTree limit refused up front), LINSTOR (revert only to the latest snapshot) and
 * StorPool (token; revert to any).
 */
describe('snapshot service on the vendor simulators', () => {
  let h: SnapshotHarness;
  let dir: string;
  let powerflex: PowerFlexSimulator;
  let linstor: LinstorSimulator;
  let storpool: StorPoolSimulator;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-vsnap-'));
    powerflex = await startPowerFlexSimulator({ port: 0, dataDir: path.join(dir, 'powerflex') });
    linstor = await startLinstorSimulator({ port: 0, dataDir: path.join(dir, 'linstor') });
    storpool = await startStorPoolSimulator({ port: 0, dataDir: path.join(dir, 'storpool'), authToken: 'sp-snap-token' });
    h = await startSnapshotHarness('vsnap');
  });

  afterAll(async () => {
    await h?.close();
    await powerflex?.close();
    await linstor?.close();
    await storpool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const snapshot = async (volume: TestVolume, name: string): Promise<{ snapshotId: string; backendName: string }> => {
    const snapshotId = randomUUID();
    const command = await h.send('CreateSnapshot', snapshotId, { volumeId: volume.volumeId, name });
    const requested = await h.eventFor('SnapshotRequested', command);
    expect(await h.outcome(command)).toMatchObject({ type: 'SnapshotCreated', data: { snapshotId, volumeId: volume.volumeId } });
    return { snapshotId, backendName: (requested.data as { backendName: string }).backendName };
  };
  const backendSnapshots = async (pool: TestPool, volume: TestVolume) =>
    (await capable(await h.driver(pool), 'snapshot').listSnapshots(volume.backendName)).map((s) => s.name);

  describe('PowerFlex', () => {
    let pool: TestPool;
    beforeAll(async () => {
      pool = await h.addPool('powerflex', {
        gatewayUrl: powerflex.url,
        username: powerflex.username,
        password: powerflex.password,
        storagePool: 'pool1',
        deviceDir: powerflex.deviceDirTemplate,
      });
    });

    it('keeps the pool in its view with the password redacted; the driver reaches the gateway with the sealed one', async () => {
      expect(pool.config).toMatchObject({ password: '***' });
      const viewed = await h.viewPool(pool.poolId);
      expect(viewed).toMatchObject({ plugin: 'powerflex', config: { password: '***' } });
      expect(JSON.stringify(viewed)).not.toContain(powerflex.password);
      expect((await (await h.driver(pool)).getCapacity()).totalBytes).toBeGreaterThan(0);
    });

    it('creates snapshots named within 31 characters, reverts the bytes to an older one (revert any) and deletes both', async () => {
      const volume = await h.createVolume(pool, 8 * GiB);
      const driver = await h.driver(pool);
      const sdc = powerflex.sdcs[0].id;
      const { devicePath } = await driver.grantAccess(volume.backendName, sdc);
      const original = await onDevice(devicePath, randomBytes(MiB));
      await driver.revokeAccess(volume.backendName, sdc);

      const first = await snapshot(volume, 'pf-1');
      const second = await snapshot(volume, 'pf-2');
      expect(first.backendName.length).toBeLessThanOrEqual(31);
      expect(first.backendName).toMatch(/^snap-/);
      expect(await backendSnapshots(pool, volume)).toEqual([first.backendName, second.backendName]);

      await driver.grantAccess(volume.backendName, sdc);
      expect((await onDevice(devicePath, randomBytes(MiB))).equals(original)).toBe(false);
      await driver.revokeAccess(volume.backendName, sdc);
      expect(await h.outcome(await h.send('RevertToSnapshot', first.snapshotId, {}))).toMatchObject({ type: 'SnapshotReverted' });
      const { devicePath: after } = await driver.grantAccess(volume.backendName, sdc);
      expect((await onDevice(after)).equals(original)).toBe(true);
      await driver.revokeAccess(volume.backendName, sdc);

      for (const s of [first, second]) {
        expect(await h.outcome(await h.send('DeleteSnapshot', s.snapshotId, {}))).toMatchObject({ type: 'SnapshotDeleted' });
      }
      expect(await backendSnapshots(pool, volume)).toEqual([]);
    });

    it('refuses the 128th snapshot of a volume tree up front, with the numbers, and takes one again after a deletion', async () => {
      const volume = await h.createVolume(pool, 8 * GiB);
      const driver = capable(await h.driver(pool), 'snapshot');
      // 126 directly on the array, the 127th through the service: the tree is then full.
      for (let i = 0; i < 126; i++) await driver.createSnapshot(volume.backendName, `lim${i}-${volume.volumeId.slice(0, 8)}`);
      const last = await snapshot(volume, 'the-127th');
      expect((await (await h.driver(pool)).getVolumeTree(volume.backendName)).snapshotCount).toBe(127);

      const refusedId = randomUUID();
      const refused = await h.send('CreateSnapshot', refusedId, { volumeId: volume.volumeId, name: 'one-too-many' });
      expect(await h.outcome(refused)).toMatchObject({
        type: 'CommandRejected',
        data: {
          error: {
            code: 'snapshot.limit_reached',
            category: 'capacity',
            message: expect.stringContaining(`allows 127 snapshots per volume tree; volume ${volume.volumeId} has 127`),
          },
        },
      });
      // Refused before any intent: no SnapshotRequested for it.
      expect(h.events.some((e) => e.type === 'SnapshotRequested' && e.aggregateId === refusedId)).toBe(false);

      expect(await h.outcome(await h.send('DeleteSnapshot', last.snapshotId, {}))).toMatchObject({ type: 'SnapshotDeleted' });
      await snapshot(volume, 'room-again');
    });

    it('leaves a snapshot whose gateway keeps failing (5xx) to recovery, which finishes it once the gateway answers', async () => {
      const volume = await h.createVolume(pool, 8 * GiB);
      const snapshotId = randomUUID();
      const causationId = randomUUID();
      const installationId = h.app.get<ServiceConfig>(SERVICE_CONFIG).installationId;
      const backendName = backendObjectName(findPlugin('powerflex')!.manifest, OBJECT_PREFIXES.snapshot, {
        volumeId: snapshotId,
        poolKey: poolKeyOf(pool.poolId),
        installationId,
      });
      const store = h.app.get(PgEventStore);
      await store.append(`snapshot-${snapshotId}`, 0, [
        {
          messageId: randomUUID(),
          type: 'SnapshotRequested',
          schemaVersion: 1,
          aggregateId: snapshotId,
          occurredAt: new Date().toISOString(),
          correlationId: causationId,
          causationId,
          tenant: null,
          data: { snapshotId, volumeId: volume.volumeId, name: 'flaky', poolId: pool.poolId, volumeBackendName: volume.backendName, backendName, policyId: null, dueAt: null },
        },
      ]);
      const recovery = h.app.get(SnapshotRecovery);

      await powerflex.faults.inject('5xx', 40);
      expect(await recovery.sweep(0)).toBe(0);
      // A transient failure is no outcome: the intent stays the newest event, for the next sweep.
      expect((await store.readStream(`snapshot-${snapshotId}`)).map((e) => e.envelope.type)).toEqual(['SnapshotRequested']);

      // Let the gateway recover (use up the injected faults), then sweep again.
      const driver = await h.driver(pool);
      await eventually('the gateway to answer again', async () => ((await driver.getCapacity().catch(() => undefined)) ? true : undefined), 120_000);
      expect(await recovery.sweep(0)).toBe(1);
      expect(await h.eventFor('SnapshotCreated', causationId)).toMatchObject({ aggregateId: snapshotId });
      expect(await backendSnapshots(pool, volume)).toEqual([backendName]);
    });
  });

  describe('LINSTOR', () => {
    let pool: TestPool;
    beforeAll(async () => {
      pool = await h.addPool('linstor', { controllerUrl: linstor.url, resourceGroup: 'strata-rg' });
    });

    it("reverts only to the newest snapshot (revert 'latest'), naming it when asked for an older one", async () => {
      const volume = await h.createVolume(pool, 64 * MiB);
      const older = await snapshot(volume, 'ls-1');
      const newer = await snapshot(volume, 'ls-2');

      expect(await h.outcome(await h.send('RevertToSnapshot', older.snapshotId, {}))).toMatchObject({
        type: 'CommandRejected',
        data: { error: { code: 'snapshot.revert_not_latest', message: expect.stringContaining(newer.backendName) } },
      });
      expect(await h.outcome(await h.send('RevertToSnapshot', newer.snapshotId, {}))).toMatchObject({ type: 'SnapshotReverted' });

      // Once the newer one is gone, the older one is the newest and may be reverted to.
      expect(await h.outcome(await h.send('DeleteSnapshot', newer.snapshotId, {}))).toMatchObject({ type: 'SnapshotDeleted' });
      expect(await h.outcome(await h.send('RevertToSnapshot', older.snapshotId, {}))).toMatchObject({ type: 'SnapshotReverted' });
      expect(await h.outcome(await h.send('DeleteSnapshot', older.snapshotId, {}))).toMatchObject({ type: 'SnapshotDeleted' });
      expect(await backendSnapshots(pool, volume)).toEqual([]);
    });
  });

  describe('StorPool', () => {
    let pool: TestPool;
    beforeAll(async () => {
      pool = await h.addPool('storpool', {
        host: '127.0.0.1',
        port: storpool.port,
        authToken: 'sp-snap-token',
        template: 'nvme',
        devicePath: storpool.devicePathTemplate,
      });
    });

    it('creates two snapshots with the sealed token, reverts the bytes to the older one (revert any) and deletes both', async () => {
      expect(pool.config).toMatchObject({ authToken: '***' });
      const volume = await h.createVolume(pool, 64 * MiB);
      const driver = await h.driver(pool);
      const { devicePath } = await driver.grantAccess(volume.backendName, '1');
      const original = await onDevice(devicePath, randomBytes(MiB));
      await driver.revokeAccess(volume.backendName, '1');

      const older = await snapshot(volume, 'sp-1');
      await driver.grantAccess(volume.backendName, '1');
      const changed = await onDevice(devicePath, randomBytes(MiB));
      expect(changed.equals(original)).toBe(false);
      await driver.revokeAccess(volume.backendName, '1');
      const newer = await snapshot(volume, 'sp-2');
      expect(await backendSnapshots(pool, volume)).toEqual(expect.arrayContaining([older.backendName, newer.backendName]));

      expect(await h.outcome(await h.send('RevertToSnapshot', older.snapshotId, {}))).toMatchObject({ type: 'SnapshotReverted' });
      const { devicePath: after } = await driver.grantAccess(volume.backendName, '1');
      expect((await onDevice(after)).equals(original)).toBe(true);
      await driver.revokeAccess(volume.backendName, '1');
      for (const s of [older, newer]) {
        expect(await h.outcome(await h.send('DeleteSnapshot', s.snapshotId, {}))).toMatchObject({ type: 'SnapshotDeleted' });
      }
      expect(await backendSnapshots(pool, volume)).toEqual([]);
    });
  });
});
