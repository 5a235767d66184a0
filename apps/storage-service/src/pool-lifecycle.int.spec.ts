import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PgEventStore } from '@strata/event-store';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';
import { PoolCapacityRefresher } from './pools/application/pool-capacity-refresher';

/** A pool's life through Kafka on the real servers: settings, disable/enable, capacity, delete. */
describe('pool lifecycle', () => {
  let h: StorageHarness;
  let poolDir: string;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const answer = (commandId: string) => h.outcome(commandId);

  beforeAll(async () => {
    poolDir = await mkdtemp(path.join(tmpdir(), 'strata-poollife-'));
    h = await startStorageHarness('poollife');
  });

  afterAll(async () => {
    await h?.close();
    await rm(poolDir, { recursive: true, force: true });
  });

  it('runs a pool from added to deleted, refusing what its state forbids with the reason', async () => {
    const poolId = randomUUID();
    const added = await answer(
      await send('AddStoragePool', poolId, {
        name: 'life-1',
        plugin: 'file',
        zoneId: 'z1',
        hypervisors: ['kvm'],
        overProvisioningFactor: 2,
        config: { path: poolDir },
      }),
    );
    expect(added).toMatchObject({ type: 'StoragePoolAdded', data: { hypervisors: ['kvm'], overProvisioningFactor: 2, allocationDisableThreshold: 0.85 } });

    const badHypervisor = await answer(
      await send('AddStoragePool', randomUUID(), { name: 'life-2', plugin: 'file', zoneId: 'z1', hypervisors: ['vmware'], config: { path: poolDir } }),
    );
    expect(badHypervisor).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'pool.hypervisor_unsupported' } } });

    expect(await answer(await send('UpdateStoragePool', poolId, { tags: ['gold'], allocationDisableThreshold: 0.9 }))).toMatchObject({
      type: 'StoragePoolUpdated',
      data: { changes: { tags: ['gold'], allocationDisableThreshold: 0.9 } },
    });
    expect(await answer(await send('DisableStoragePool', poolId, { reason: 'maintenance window' }))).toMatchObject({
      type: 'StoragePoolDisabled',
      data: { reason: 'maintenance window' },
    });

    const volumeId = randomUUID();
    expect(await answer(await send('CreateVolume', volumeId, { name: 'v', poolId, sizeBytes: 2 ** 20 }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'pool.disabled' } },
    });
    expect(await answer(await send('EnableStoragePool', poolId, {}))).toMatchObject({ type: 'StoragePoolEnabled' });
    const volume2 = randomUUID();
    expect(await answer(await send('CreateVolume', volume2, { name: 'v2', poolId, sizeBytes: 2 ** 20 }))).toMatchObject({ type: 'VolumeCreated' });

    const refused = await answer(await send('DeleteStoragePool', poolId, {}));
    expect(refused).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'pool.has_volumes' } } });
    expect((refused.data as { error: { message: string } }).error.message).toContain(volume2);

    expect(await answer(await send('RefreshPoolCapacity', poolId, {}))).toMatchObject({
      type: 'StoragePoolCapacityRefreshed',
      data: { capacityBytes: (added.data as { capacityBytes: number }).capacityBytes },
    });

    expect(await answer(await send('DeleteVolume', volume2, {}))).toMatchObject({ type: 'VolumeDeleted' });
    expect(await answer(await send('DeleteStoragePool', poolId, {}))).toMatchObject({ type: 'StoragePoolDeleted' });
    expect(await answer(await send('RefreshPoolCapacity', poolId, {}))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'pool.deleted' } },
    });
  });

  it('refreshes capacity on its schedule without recording noise', async () => {
    const poolId = randomUUID();
    await answer(await send('AddStoragePool', poolId, { name: 'life-3', plugin: 'file', zoneId: 'z1', config: { path: poolDir } }));
    const refresher = h.app.get(PoolCapacityRefresher);
    const store = h.app.get(PgEventStore);
    const count = async () => (await store.readStream(`pool-${poolId}`)).filter((e) => e.envelope.type === 'StoragePoolCapacityRefreshed').length;
    // The first round may record (the disk moves); a round right after it finds nothing new
    // for this pool, where recording every measurement would add one each time.
    await refresher.refreshAll();
    const afterFirst = await count();
    await refresher.refreshAll();
    await refresher.refreshAll();
    expect(await count()).toBe(afterFirst);
  });
});
