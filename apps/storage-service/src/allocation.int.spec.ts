import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { VolumeCreationRequested } from '@strata/contracts';
import { eventually } from '@strata/testing';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

/**
 * Allocation through Kafka on the real servers: file pools of one zone with tags, a disabled
 * one and one whose disable threshold is too small; volumes without a pool land where the
 * policy says, and a request no pool can take is refused with the reason for each pool.
 */
describe('volume allocation', () => {
  let h: StorageHarness;
  let root: string;
  const pools: Record<string, { id: string; dir: string }> = {};
  let capacityBytes = 0;
  /** About 2 % of the disk: more than the tiny pool's 1 % threshold lets in. */
  let volumeBytes = 0;

  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const eventOf = (type: string, commandId: string) =>
    eventually(`${type} caused by ${commandId}`, async () => h.events.find((e) => e.causationId === commandId && e.type === type));
  const answer = (commandId: string) =>
    eventually(`the answer to ${commandId}`, async () =>
      h.events.find((e) => e.causationId === commandId && ['VolumeCreated', 'VolumeCreationFailed', 'CommandRejected'].includes(e.type)),
    );
  const rejection = async (commandId: string) => {
    const answered = await answer(commandId);
    expect(answered.type).toBe('CommandRejected');
    return (answered.data as { error: { code: string; category: string; message: string } }).error;
  };

  async function addPool(name: string, zoneId: string, extra: Record<string, unknown> = {}) {
    const id = randomUUID();
    const dir = path.join(root, name);
    await mkdir(dir);
    const added = await answerPool(await send('AddStoragePool', id, { name, plugin: 'file', zoneId, config: { path: dir }, ...extra }));
    expect(added.type).toBe('StoragePoolAdded');
    capacityBytes = (added.data as { capacityBytes: number }).capacityBytes;
    pools[name] = { id, dir };
  }
  const answerPool = (commandId: string) =>
    eventually(`the answer to ${commandId}`, async () =>
      h.events.find((e) => e.causationId === commandId && ['StoragePoolAdded', 'StoragePoolDisabled', 'CommandRejected'].includes(e.type)),
    );

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'strata-alloc-'));
    h = await startStorageHarness('alloc');

    // Creation order is first fit's order: the plain pool, then the gold ones.
    await addPool('plain', 'z1');
    await addPool('gold-off', 'z1', { tags: ['gold'] });
    await addPool('gold-tiny', 'z1', { tags: ['gold'], allocationDisableThreshold: 0.01 });
    await addPool('gold-a', 'z1', { tags: ['gold', 'ssd'] });
    await addPool('gold-b', 'z1', { tags: ['gold'] });
    await addPool('gold-far', 'z2', { tags: ['gold'] });
    expect((await answerPool(await send('DisableStoragePool', pools['gold-off'].id, { reason: 'retiring' }))).type).toBe('StoragePoolDisabled');
    volumeBytes = Math.ceil((capacityBytes * 0.02) / 512) * 512;
  });

  afterAll(async () => {
    await h?.close();
    await rm(root, { recursive: true, force: true });
  });

  const requestedOf = async (commandId: string) => (await eventOf('VolumeCreationRequested', commandId)).data as VolumeCreationRequested;
  const verdictOf = (requested: VolumeCreationRequested, name: string) => requested.allocation?.candidates.find((c) => c.poolId === pools[name].id);

  it('places a volume by first fit on the first gold pool that fits, saying why the others did not', async () => {
    const volumeId = randomUUID();
    const commandId = await send('CreateVolume', volumeId, { name: 'first', zoneId: 'z1', poolTags: ['gold'], sizeBytes: volumeBytes });
    expect((await answer(commandId)).type).toBe('VolumeCreated');
    const requested = await requestedOf(commandId);
    expect(requested.poolId).toBe(pools['gold-a'].id);
    expect(requested).toMatchObject({ provisioning: 'thin', qos: null, allocation: { policy: 'first-fit' } });
    // Only the pools of the zone are candidates, each with its verdict, in creation order.
    expect(requested.allocation?.candidates.map((c) => c.poolId)).toEqual(['plain', 'gold-off', 'gold-tiny', 'gold-a', 'gold-b'].map((n) => pools[n].id));
    expect(verdictOf(requested, 'plain')).toMatchObject({ fits: false, reasons: ['lacks tags gold'] });
    expect(verdictOf(requested, 'gold-off')).toMatchObject({ fits: false, reasons: ['disabled (retiring)'] });
    expect(verdictOf(requested, 'gold-tiny')).toMatchObject({ fits: false, reasons: [expect.stringMatching(/^would exceed 1 % of capacity: 0 B allocated \+ .+ > .+$/)] });
    expect(verdictOf(requested, 'gold-a')).toEqual({ poolId: pools['gold-a'].id, fits: true, reasons: [] });
    expect(verdictOf(requested, 'gold-b')).toEqual({ poolId: pools['gold-b'].id, fits: true, reasons: [] });
    expect((await readdir(pools['gold-a'].dir)).some((f) => f.includes(volumeId.slice(0, 8)))).toBe(true);
  });

  it('places a volume by most free on the gold pool with the most room left, and first fit still on the first', async () => {
    const mostFree = await send('CreateVolume', randomUUID(), {
      name: 'roomy',
      zoneId: 'z1',
      poolTags: ['gold'],
      sizeBytes: volumeBytes,
      allocationPolicy: 'most-free',
      volumeType: 'ROOT',
    });
    expect((await answer(mostFree)).type).toBe('VolumeCreated');
    // gold-a already holds the first volume: gold-b has more room.
    const placed = await requestedOf(mostFree);
    expect(placed).toMatchObject({ poolId: pools['gold-b'].id, volumeType: 'ROOT', allocation: { policy: 'most-free' } });

    const firstFit = await send('CreateVolume', randomUUID(), { name: 'again', zoneId: 'z1', poolTags: ['gold'], sizeBytes: volumeBytes });
    expect((await answer(firstFit)).type).toBe('VolumeCreated');
    expect((await requestedOf(firstFit)).poolId).toBe(pools['gold-a'].id);

    // Now gold-a holds two volumes and gold-b one: most free turns to gold-b again.
    const third = await send('CreateVolume', randomUUID(), { name: 'third', zoneId: 'z1', poolTags: ['gold'], sizeBytes: volumeBytes, allocationPolicy: 'most-free' });
    expect((await answer(third)).type).toBe('VolumeCreated');
    expect((await requestedOf(third)).poolId).toBe(pools['gold-b'].id);
  });

  it('refuses a request no pool can take, with the reason for every pool of the zone', async () => {
    const commandId = await send('CreateVolume', randomUUID(), {
      name: 'nowhere',
      zoneId: 'z1',
      poolTags: ['gold', 'ssd'],
      hypervisor: 'vmware',
      sizeBytes: capacityBytes,
    });
    const error = await rejection(commandId);
    expect(error).toMatchObject({ code: 'allocation.no_pool', category: 'capacity' });
    const { message } = error;
    expect(message).toMatch(/^no storage pool in zone z1 can take a .+ thin volume: /);
    expect(message).toContain(`plain (${pools.plain.id}): lacks tags gold, ssd; serves kvm, not vmware; would exceed 85 % of capacity`);
    expect(message).toContain(`gold-off (${pools['gold-off'].id}): disabled (retiring); lacks tags ssd; serves kvm, not vmware; would exceed 85 % of capacity`);
    expect(message).toContain(`gold-tiny (${pools['gold-tiny'].id}): lacks tags ssd; serves kvm, not vmware; would exceed 1 % of capacity`);
    expect(message).toContain(`gold-a (${pools['gold-a'].id}): serves kvm, not vmware; would exceed 85 % of capacity`);
    expect(message).toContain(`gold-b (${pools['gold-b'].id}): lacks tags ssd; serves kvm, not vmware; would exceed 85 % of capacity`);
    expect(message).not.toContain(pools['gold-far'].id);
    // Nothing was recorded for the refused volume.
    expect(h.events.some((e) => e.causationId === commandId && e.type === 'VolumeCreationRequested')).toBe(false);
  });

  it('refuses a zone without pools, saying so', async () => {
    const error = await rejection(await send('CreateVolume', randomUUID(), { name: 'void', zoneId: 'z9', sizeBytes: 2 ** 20 }));
    expect(error).toMatchObject({ code: 'allocation.no_pool', message: expect.stringContaining('zone z9 has no storage pools') });
  });

  it('checks a named pool by the same rules', async () => {
    const full = await rejection(await send('CreateVolume', randomUUID(), { name: 'big', poolId: pools['gold-tiny'].id, sizeBytes: volumeBytes }));
    expect(full).toMatchObject({ code: 'allocation.pool_full', category: 'capacity' });
    expect(full.message).toMatch(new RegExp(`^storage pool gold-tiny \\(${pools['gold-tiny'].id}\\) cannot take this volume: would exceed 1 % of capacity`));

    const unsuitable = await rejection(
      await send('CreateVolume', randomUUID(), { name: 'fast', poolId: pools.plain.id, sizeBytes: 2 ** 20, qos: { iops: 500 }, zoneId: 'z2' }),
    );
    expect(unsuitable).toMatchObject({ code: 'allocation.pool_unsuitable', category: 'validation' });
    expect(unsuitable.message).toContain('in zone z1, not z2; does not support QoS iops');

    // The named pool's own answers stay as they were.
    expect(await rejection(await send('CreateVolume', randomUUID(), { name: 'off', poolId: pools['gold-off'].id, sizeBytes: 2 ** 20 }))).toMatchObject({
      code: 'pool.disabled',
    });
    const named = await send('CreateVolume', randomUUID(), { name: 'named', poolId: pools.plain.id, sizeBytes: 2 ** 20 });
    expect((await answer(named)).type).toBe('VolumeCreated');
    expect(await requestedOf(named)).toMatchObject({ poolId: pools.plain.id, allocation: null });
  });
});
