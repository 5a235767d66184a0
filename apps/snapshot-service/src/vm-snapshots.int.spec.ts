import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uuidFromName } from '@strata/kernel';
import { PgEventStore } from '@strata/event-store';
import { eventually } from '@strata/testing';
import { VolumeHolds } from '@strata/pool-access';
import { VmSnapshotRecovery } from './vm-snapshots/application/vm-snapshot-recovery';
import { startSnapshotHarness, type SnapshotHarness, type TestPool, type TestVolume } from './testing/snapshot-harness.spec';

const MiB = 2 ** 20;

/** Writes `bytes` into the volume file at `offset`, as a VM would through its disk. */
async function writeAt(file: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

interface Requested {
  groupName: string;
  members: { volumeId: string; poolId: string; volumeBackendName: string; snapshotBackendName: string }[];
}

/**
 * VM (group) snapshots on file pools through Kafka: two volumes of one VM snapshotted together,
 * reverted together to the bytes each had, and deleted together, on the real files.
 */
describe('VM snapshots on a file pool', () => {
  let h: SnapshotHarness;
  let dir: string;
  let pool: TestPool;
  let poolDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-vmsnap-'));
    poolDir = path.join(dir, 'file');
    h = await startSnapshotHarness('vmsnapfile');
    pool = await h.addPool('file', { path: poolDir });
  });

  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const memberFile = (volume: TestVolume, snapshotName: string) => path.join(poolDir, '.snapshots', volume.backendName, `${snapshotName}.raw`);

  it('snapshots two volumes as a group, reverts both to their own bytes, and deletes every member snapshot', async () => {
    const [a, b] = [await h.createVolume(pool, 2 * MiB), await h.createVolume(pool, 3 * MiB)];
    await writeAt(a.path!, 0, randomBytes(MiB));
    await writeAt(b.path!, MiB, randomBytes(MiB));
    const [originalA, originalB] = [await readFile(a.path!), await readFile(b.path!)];

    const vmSnapshotId = randomUUID();
    const create = await h.send('CreateVmSnapshot', vmSnapshotId, { vmId: 'vm-17', volumeIds: [a.volumeId, b.volumeId], name: 'before-upgrade' });
    const requested = (await h.eventFor('VmSnapshotRequested', create)).data as Requested;
    expect(requested.groupName).toBe(`vmsnap-${vmSnapshotId}`);
    // Member names derive from the VM snapshot and the volume, so a retry names them alike.
    expect(requested.members).toEqual([
      { volumeId: a.volumeId, poolId: pool.poolId, volumeBackendName: a.backendName, snapshotBackendName: `snap-${uuidFromName(`${vmSnapshotId}:${a.volumeId}`)}` },
      { volumeId: b.volumeId, poolId: pool.poolId, volumeBackendName: b.backendName, snapshotBackendName: `snap-${uuidFromName(`${vmSnapshotId}:${b.volumeId}`)}` },
    ]);
    expect(await h.outcome(create)).toMatchObject({
      type: 'VmSnapshotCreated',
      aggregateId: vmSnapshotId,
      data: {
        vmSnapshotId,
        vmId: 'vm-17',
        members: [
          { volumeId: a.volumeId, snapshotBackendName: requested.members[0].snapshotBackendName, sizeBytes: 2 * MiB },
          { volumeId: b.volumeId, snapshotBackendName: requested.members[1].snapshotBackendName, sizeBytes: 3 * MiB },
        ],
      },
    });
    const [fileA, fileB] = [memberFile(a, requested.members[0].snapshotBackendName), memberFile(b, requested.members[1].snapshotBackendName)];
    expect((await stat(fileA)).size).toBe(2 * MiB);
    expect((await stat(fileB)).size).toBe(3 * MiB);

    // The VM writes on, different bytes on each disk.
    await writeAt(a.path!, 0, randomBytes(MiB));
    await writeAt(b.path!, 2 * MiB, randomBytes(MiB));
    expect((await readFile(a.path!)).equals(originalA)).toBe(false);
    expect((await readFile(b.path!)).equals(originalB)).toBe(false);

    const revert = await h.send('RevertToVmSnapshot', vmSnapshotId, {});
    expect(await h.outcome(revert)).toMatchObject({ type: 'VmSnapshotReverted', data: { vmSnapshotId, vmId: 'vm-17' } });
    expect((await readFile(a.path!)).equals(originalA)).toBe(true);
    expect((await readFile(b.path!)).equals(originalB)).toBe(true);

    const del = await h.send('DeleteVmSnapshot', vmSnapshotId, {});
    expect(await h.outcome(del)).toMatchObject({ type: 'VmSnapshotDeleted', data: { vmSnapshotId } });
    await expect(stat(fileA)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(fileB)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readFile(a.path!)).equals(originalA)).toBe(true);

    expect(await h.outcome(await h.send('DeleteVmSnapshot', vmSnapshotId, {}))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'vmsnapshot.illegal_state', message: expect.stringContaining('is deleted') } },
    });
  });

  it('snapshots a running VM (attached volumes) but refuses to revert until every volume is detached, naming the attached one', async () => {
    const [a, b] = [await h.createVolume(pool, MiB), await h.createVolume(pool, MiB)];
    const hostId = randomUUID();
    await h.publishStorageEvent('VolumeAttachRequested', b.volumeId, { volumeId: b.volumeId, hostId, backendHost: hostId });
    await h.publishStorageEvent('VolumeAttached', b.volumeId, { volumeId: b.volumeId, hostId, devicePath: b.path });
    await eventually('the view to catch up', async () => ((await h.viewVolume(b.volumeId))?.status === 'attached' ? true : undefined));

    const vmSnapshotId = randomUUID();
    expect(await h.outcome(await h.send('CreateVmSnapshot', vmSnapshotId, { vmId: 'vm-run', volumeIds: [a.volumeId, b.volumeId], name: 'live' }))).toMatchObject({
      type: 'VmSnapshotCreated',
    });
    const refused = await h.outcome(await h.send('RevertToVmSnapshot', vmSnapshotId, {}));
    expect(refused).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'vmsnapshot.volume_attached' } } });
    const message = (refused.data as { error: { message: string } }).error.message;
    expect(message).toContain(`${b.volumeId} (1 host(s))`);
    expect(message).not.toContain(a.volumeId);

    await h.publishStorageEvent('VolumeDetachRequested', b.volumeId, { volumeId: b.volumeId, hostId, backendHost: hostId });
    await h.publishStorageEvent('VolumeDetached', b.volumeId, { volumeId: b.volumeId, hostId });
    await eventually('the view to catch up', async () => ((await h.viewVolume(b.volumeId))?.status === 'ready' ? true : undefined));
    expect(await h.outcome(await h.send('RevertToVmSnapshot', vmSnapshotId, {}))).toMatchObject({ type: 'VmSnapshotReverted' });
  });

  it('refuses volumes on two file pools (the file backend groups only within one pool), unknown volumes, and a second create', async () => {
    const other = await h.addPool('file', { path: path.join(dir, 'other') });
    const [a, b] = [await h.createVolume(pool, MiB), await h.createVolume(other, MiB)];
    const refused = await h.outcome(await h.send('CreateVmSnapshot', randomUUID(), { vmId: 'vm-2p', volumeIds: [a.volumeId, b.volumeId], name: 'x' }));
    expect(refused).toMatchObject({
      type: 'CommandRejected',
      data: {
        error: {
          code: 'vmsnapshot.multiple_clusters',
          message: expect.stringContaining(`on one pool; these are not: ${a.volumeId} (pool ${pool.poolId}), ${b.volumeId} (pool ${other.poolId})`),
        },
      },
    });

    const unknown = randomUUID();
    expect(await h.outcome(await h.send('CreateVmSnapshot', randomUUID(), { vmId: 'vm-u', volumeIds: [a.volumeId, unknown], name: 'x' }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'vmsnapshot.volume_not_found', message: expect.stringContaining(unknown) }, violations: [{ field: 'data.volumeIds', rule: 'exists' }] },
    });

    const vmSnapshotId = randomUUID();
    expect(await h.outcome(await h.send('CreateVmSnapshot', vmSnapshotId, { vmId: 'vm-1', volumeIds: [a.volumeId], name: 'one' }))).toMatchObject({ type: 'VmSnapshotCreated' });
    expect(await h.outcome(await h.send('CreateVmSnapshot', vmSnapshotId, { vmId: 'vm-1', volumeIds: [a.volumeId], name: 'one' }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'vmsnapshot.already_exists' } },
    });
  });

  it('answers an invalid command (a volume listed twice) with a rejection naming the field', async () => {
    const id = randomUUID();
    expect(await h.outcome(await h.send('CreateVmSnapshot', randomUUID(), { vmId: 'vm-d', volumeIds: [id, id], name: 'dup' }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'command.invalid' }, violations: [expect.objectContaining({ field: 'data.volumeIds' })] },
    });
  });

  it('finishes a VM snapshot whose intent was recorded but whose backend call never ran (recovery sweep)', async () => {
    const [a, b] = [await h.createVolume(pool, MiB), await h.createVolume(pool, MiB)];
    const vmSnapshotId = randomUUID();
    const causationId = randomUUID();
    const members = [a, b].map((v) => ({
      volumeId: v.volumeId,
      poolId: pool.poolId,
      volumeBackendName: v.backendName,
      snapshotBackendName: `snap-${uuidFromName(`${vmSnapshotId}:${v.volumeId}`)}`,
    }));
    // What a crash between the intent and the backend call leaves: the intent is the stream's newest event.
    const store = h.app.get(PgEventStore);
    await store.append(`vmsnapshot-${vmSnapshotId}`, 0, [
      {
        messageId: randomUUID(),
        type: 'VmSnapshotRequested',
        schemaVersion: 1,
        aggregateId: vmSnapshotId,
        occurredAt: new Date().toISOString(),
        correlationId: causationId,
        causationId,
        tenant: 'acme',
        data: { vmSnapshotId, vmId: 'vm-crash', name: 'crashed', groupName: `vmsnap-${vmSnapshotId}`, members },
      },
    ]);
    await expect(stat(memberFile(a, members[0].snapshotBackendName))).rejects.toMatchObject({ code: 'ENOENT' });

    expect(await h.app.get(VmSnapshotRecovery).sweep(0)).toBeGreaterThanOrEqual(1);
    // The outcome carries the intent's causation, so the original job ends.
    expect(await h.eventFor('VmSnapshotCreated', causationId)).toMatchObject({ aggregateId: vmSnapshotId, data: { vmSnapshotId } });
    expect((await stat(memberFile(a, members[0].snapshotBackendName))).size).toBe(MiB);
    expect((await stat(memberFile(b, members[1].snapshotBackendName))).size).toBe(MiB);
    await h.app.get(VmSnapshotRecovery).sweep(0);
    expect((await store.readStream(`vmsnapshot-${vmSnapshotId}`)).map((e) => e.envelope.type)).toEqual(['VmSnapshotRequested', 'VmSnapshotCreated']);
  });

  it('waits while a member volume is held (as the storage service holds one it is changing), then takes the group', async () => {
    const [a, b] = [await h.createVolume(pool, MiB), await h.createVolume(pool, MiB)];
    const vmSnapshotId = randomUUID();
    let create = '';
    await h.app.get(VolumeHolds).hold([b.volumeId], async () => {
      create = await h.send('CreateVmSnapshot', vmSnapshotId, { vmId: 'vm-held', volumeIds: [a.volumeId, b.volumeId], name: 'while-held' });
      await h.eventFor('VmSnapshotRequested', create);
      // The intent is recorded; the backend side waits for the hold.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(h.events.filter((e) => e.aggregateId === vmSnapshotId && e.type === 'VmSnapshotCreated')).toEqual([]);
    });
    expect(await h.eventFor('VmSnapshotCreated', create)).toMatchObject({ aggregateId: vmSnapshotId });
  });
});
