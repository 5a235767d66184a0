import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLinstorSimulator, type LinstorSimulator } from '@strata/backends';
import { capable } from '@strata/plugin-sdk';
import { DriverRegistry } from '@strata/pool-access';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

/**
 * What the storage service does with a volume's snapshots, which it reads from the backend:
 * deleting the volume is refused with their list unless they are to go too (LINSTOR itself
 * refuses to delete a resource that has snapshots), and a block copy, which would lose them,
 * is refused.
 */
describe('volumes that have snapshots', () => {
  let h: StorageHarness;
  let dir: string;
  let linstor: LinstorSimulator;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const outcome = (commandId: string) => h.outcome(commandId);

  /** A snapshot taken on the backend directly, as the snapshot service would. */
  async function snapshot(poolId: string, volumeBackendName: string, name: string): Promise<void> {
    const pool = { poolId, ...(h.events.find((e) => e.type === 'StoragePoolAdded' && e.aggregateId === poolId)?.data as { plugin: string; config: Record<string, unknown> }) };
    const driver = await h.app.get(DriverRegistry).forPool(pool);
    await capable(driver, 'snapshot').createSnapshot(volumeBackendName, name);
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-snapguard-'));
    linstor = await startLinstorSimulator({ port: 0, dataDir: path.join(dir, 'linstor') });
    h = await startStorageHarness('snapguard');
  });

  afterAll(async () => {
    await h?.close();
    await linstor?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['a file pool', () => ({ plugin: 'file', config: { path: path.join(dir, 'file') } })],
    ['a LINSTOR pool', () => ({ plugin: 'linstor', url: `linstor://127.0.0.1:${new URL(linstor.url).port}/strata-rg` })],
  ])('on %s: refuses to delete a volume with snapshots, then deletes both when asked', async (_, settings) => {
    const poolId = randomUUID();
    expect(await outcome(await send('AddStoragePool', poolId, { name: `sg-${poolId.slice(0, 8)}`, zoneId: 'z1', ...settings() }))).toMatchObject({ type: 'StoragePoolAdded' });
    const volumeId = randomUUID();
    const created = await outcome(await send('CreateVolume', volumeId, { name: 'snapped', poolId, sizeBytes: 64 * 2 ** 20 }));
    const backendName = (created.data as { backendName: string }).backendName;
    await snapshot(poolId, backendName, `snap-${volumeId.replace(/-/g, '').slice(0, 16)}`);

    const refused = await outcome(await send('DeleteVolume', volumeId, {}));
    expect(refused).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.has_snapshots' }, violations: [{ field: 'data.deleteSnapshots' }], details: { snapshots: [expect.stringContaining('snap-')] } },
    });
    const deleted = await outcome(await send('DeleteVolume', volumeId, { deleteSnapshots: true }));
    expect(deleted).toMatchObject({ type: 'VolumeDeleted' });
    const requested = h.events.find((e) => e.type === 'VolumeDeletionRequested' && e.aggregateId === volumeId);
    expect(requested?.data).toMatchObject({ withSnapshots: true, snapshots: [expect.stringContaining('snap-')] });
    // Nothing left behind: the pool holds no volume and can be deleted.
    expect(await outcome(await send('DeleteStoragePool', poolId, {}))).toMatchObject({ type: 'StoragePoolDeleted' });
  });

  it('refuses a block copy of a volume with snapshots, which would lose them', async () => {
    const from = randomUUID();
    const to = randomUUID();
    await outcome(await send('AddStoragePool', from, { name: 'sg-from', plugin: 'file', zoneId: 'z-sg', config: { path: path.join(dir, 'from') } }));
    await outcome(await send('AddStoragePool', to, { name: 'sg-to', plugin: 'file', zoneId: 'z-sg', config: { path: path.join(dir, 'to') } }));
    const mover = randomUUID();
    await outcome(await send('RegisterHost', mover, { name: 'sg-mover', zoneId: 'z-sg', hypervisor: 'kvm' }));
    const volumeId = randomUUID();
    const created = await outcome(await send('CreateVolume', volumeId, { name: 'keeps', poolId: from, sizeBytes: 2 ** 20 }));
    await snapshot(from, (created.data as { backendName: string }).backendName, 'snap-keep');
    expect(await outcome(await send('MigrateVolume', volumeId, { destinationPoolId: to, dataMoverHostId: mover }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.copy_loses_snapshots', message: expect.stringContaining('1 snapshot') } },
    });
  });
});
