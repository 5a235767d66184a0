import { randomUUID } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@strata/testing';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

const exists = (file: string) => access(file).then(() => true, () => false);

/**
 * What protects a pool's free space: concurrent creates racing for the last of it (only
 * as many as fit are placed), growth checked like placement, and deferred creation
 * (allocated: space reserved now, the object made at the first attach).
 */
describe('capacity guards and deferred creation', () => {
  let h: StorageHarness;
  let root: string;
  let poolId: string;
  /** What the pool lets be allocated: capacity x threshold (file pools do not over-provision). */
  let limitBytes: number;
  const MiB = 2 ** 20;
  const roundDown = (bytes: number) => Math.floor(bytes / MiB) * MiB;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const answer = (commandId: string, types: string[]) =>
    eventually(`the answer to ${commandId}`, async () => h.events.find((e) => e.causationId === commandId && [...types, 'CommandRejected'].includes(e.type)));

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'strata-guards-'));
    h = await startStorageHarness('guards');
    poolId = randomUUID();
    const threshold = 0.01;
    const added = await answer(await send('AddStoragePool', poolId, { name: 'guarded', plugin: 'file', zoneId: 'zg', config: { path: root }, allocationDisableThreshold: threshold }), [
      'StoragePoolAdded',
    ]);
    expect(added.type).toBe('StoragePoolAdded');
    limitBytes = Math.floor((added.data as { capacityBytes: number }).capacityBytes * threshold);
  });

  afterAll(async () => {
    await h?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('places only as many of several concurrent creates as fit, refusing the rest as full', async () => {
    const size = roundDown(limitBytes * 0.3);
    const commands = await Promise.all(
      Array.from({ length: 5 }, (_, i) => send('CreateVolume', randomUUID(), { name: `race-${i}`, poolId, sizeBytes: size })),
    );
    const answers = await Promise.all(commands.map((id) => answer(id, ['VolumeCreated', 'VolumeCreationFailed'])));
    const created = answers.filter((a) => a.type === 'VolumeCreated');
    const refused = answers.filter((a) => a.type === 'CommandRejected');
    // 3 x 0.3 fits under the limit, a fourth does not: without the zone's lock, several would read the same free space.
    expect(created).toHaveLength(3);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.data).toMatchObject({ error: { code: 'allocation.pool_full' } });
    for (const c of created) await answer(await send('DeleteVolume', c.aggregateId as string, {}), ['VolumeDeleted']);
  });

  it('refuses a growth the pool cannot hold, naming the field, and takes one it can', async () => {
    const volumeId = randomUUID();
    expect((await answer(await send('CreateVolume', volumeId, { name: 'grows', poolId, sizeBytes: roundDown(limitBytes * 0.5) }), ['VolumeCreated'])).type).toBe(
      'VolumeCreated',
    );
    const tooBig = await answer(await send('ResizeVolume', volumeId, { sizeBytes: roundDown(limitBytes * 1.2) }), ['VolumeResized']);
    expect(tooBig).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.resize_exceeds_capacity', category: 'capacity' }, violations: [{ field: 'data.sizeBytes', rule: 'allocation.capacity' }] },
    });
    // Its own current size is counted once: growing to 0.9 of the limit fits.
    expect(await answer(await send('ResizeVolume', volumeId, { sizeBytes: roundDown(limitBytes * 0.9) }), ['VolumeResized'])).toMatchObject({ type: 'VolumeResized' });
    await answer(await send('DeleteVolume', volumeId, {}), ['VolumeDeleted']);
  });

  it('reserves the space of a deferred volume at once and makes it at its first attach', async () => {
    const hostId = randomUUID();
    await answer(await send('RegisterHost', hostId, { name: 'kvm-g', zoneId: 'zg', hypervisor: 'kvm' }), ['HostRegistered']);
    const volumeId = randomUUID();
    const allocated = await answer(await send('CreateVolume', volumeId, { name: 'later', poolId, sizeBytes: roundDown(limitBytes * 0.7), deferCreation: true }), [
      'VolumeAllocated',
    ]);
    expect(allocated).toMatchObject({ type: 'VolumeAllocated', data: { poolId } });
    const file = path.join(root, `${(allocated.data as { backendName: string }).backendName}.raw`);
    expect(await exists(file)).toBe(false);
    // Its space is promised already: another 0.7 does not fit.
    expect(await answer(await send('CreateVolume', randomUUID(), { name: 'no-room', poolId, sizeBytes: roundDown(limitBytes * 0.7) }), ['VolumeCreated'])).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'allocation.pool_full' } },
    });

    const attach = await send('AttachVolume', volumeId, { hostId });
    expect(await answer(attach, ['VolumeAttached'])).toMatchObject({ type: 'VolumeAttached', data: { hostId, devicePath: file } });
    const caused = h.events.filter((e) => e.causationId === attach).map((e) => e.type);
    expect(caused).toEqual(['VolumeCreationRequested', 'VolumeCreated', 'VolumeAttachRequested', 'VolumeAttached']);
    expect(await exists(file)).toBe(true);
    await answer(await send('DeleteVolume', volumeId, {}), ['VolumeDeleted']);
    expect(await exists(file)).toBe(false);

    // An allocated volume that is never attached is deleted without touching the backend.
    const unused = randomUUID();
    await answer(await send('CreateVolume', unused, { name: 'unused', poolId, sizeBytes: MiB, deferCreation: true }), ['VolumeAllocated']);
    expect(await answer(await send('DeleteVolume', unused, {}), ['VolumeDeleted'])).toMatchObject({ type: 'VolumeDeleted' });
  });
});
