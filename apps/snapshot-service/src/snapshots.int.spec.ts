import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@strata/testing';
import { PgEventStore } from '@strata/event-store';
import { SnapshotRecovery } from './snapshots/application/snapshot-recovery';
import { startSnapshotHarness, type SnapshotHarness, type TestPool } from './testing/snapshot-harness.spec';

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

/**
 * Volume snapshots on a file pool through Kafka: the snapshot service finds the volume in
 * its view of the storage events, and the snapshot, the revert and the deletion happen on
 * the real files.
 */
describe('snapshot service on a file pool', () => {
  let h: SnapshotHarness;
  let dir: string;
  let pool: TestPool;
  let poolDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-snap-'));
    poolDir = path.join(dir, 'file');
    h = await startSnapshotHarness('snapfile');
    pool = await h.addPool('file', { path: poolDir });
  });

  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the pool and the volume in its view as the storage events say', async () => {
    expect(await h.viewPool(pool.poolId)).toMatchObject({ plugin: 'file', zoneId: 'z1', status: 'enabled', config: { path: poolDir } });
    const volume = await h.createVolume(pool, 2 * MiB);
    expect(await h.viewVolume(volume.volumeId)).toMatchObject({ poolId: pool.poolId, backendName: volume.backendName, status: 'ready', sizeBytes: 2 * MiB });
  });

  it('takes a snapshot, reverts the volume to its bytes, and deletes it', async () => {
    const volume = await h.createVolume(pool, 4 * MiB);
    const file = volume.path!;
    const before = randomBytes(MiB);
    await writeAt(file, 0, before);
    await writeAt(file, 3 * MiB, before.subarray(0, 4096));
    const original = await readFile(file);

    const snapshotId = randomUUID();
    const create = await h.send('CreateSnapshot', snapshotId, { volumeId: volume.volumeId, name: 'before-upgrade' });
    const requested = await h.eventFor('SnapshotRequested', create);
    const { backendName, volumeBackendName, poolId } = requested.data as { backendName: string; volumeBackendName: string; poolId: string };
    expect(backendName).toBe(`snap-${snapshotId}`);
    expect(volumeBackendName).toBe(volume.backendName);
    expect(poolId).toBe(pool.poolId);
    expect(await h.outcome(create)).toMatchObject({ type: 'SnapshotCreated', aggregateId: snapshotId, data: { snapshotId, volumeId: volume.volumeId, sizeBytes: 4 * MiB } });
    const snapshotFile = path.join(poolDir, '.snapshots', volume.backendName, `${backendName}.raw`);
    expect((await stat(snapshotFile)).size).toBe(4 * MiB);

    // The VM writes on: the volume no longer holds the snapshot's bytes.
    await writeAt(file, 0, randomBytes(MiB));
    expect((await readFile(file)).equals(original)).toBe(false);

    const revert = await h.send('RevertToSnapshot', snapshotId, {});
    expect(await h.outcome(revert)).toMatchObject({ type: 'SnapshotReverted', data: { snapshotId, volumeId: volume.volumeId } });
    expect((await readFile(file)).equals(original)).toBe(true);

    const del = await h.send('DeleteSnapshot', snapshotId, {});
    expect(await h.outcome(del)).toMatchObject({ type: 'SnapshotDeleted', data: { snapshotId } });
    await expect(stat(snapshotFile)).rejects.toMatchObject({ code: 'ENOENT' });
    // The volume keeps the reverted content after its snapshot is gone.
    expect((await readFile(file)).equals(original)).toBe(true);

    expect(await h.outcome(await h.send('DeleteSnapshot', snapshotId, {}))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'snapshot.illegal_state', message: expect.stringContaining('is deleted') } },
    });
  });

  it('refuses a snapshot of a volume it does not know, and a second snapshot with the same id', async () => {
    const unknown = randomUUID();
    expect(await h.outcome(await h.send('CreateSnapshot', randomUUID(), { volumeId: unknown, name: 's' }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'snapshot.volume_not_found', message: expect.stringContaining(unknown) }, violations: [{ field: 'data.volumeId', rule: 'exists' }] },
    });
    const volume = await h.createVolume(pool, MiB);
    const snapshotId = randomUUID();
    expect(await h.outcome(await h.send('CreateSnapshot', snapshotId, { volumeId: volume.volumeId, name: 's1' }))).toMatchObject({ type: 'SnapshotCreated' });
    expect(await h.outcome(await h.send('CreateSnapshot', snapshotId, { volumeId: volume.volumeId, name: 's1' }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'snapshot.already_exists' } },
    });
  });

  it('snapshots an attached volume but refuses to revert it, naming the hosts; after the detach the revert goes through', async () => {
    const volume = await h.createVolume(pool, MiB);
    const hostId = randomUUID();
    await h.publishStorageEvent('VolumeAttachRequested', volume.volumeId, { volumeId: volume.volumeId, hostId, backendHost: hostId });
    await h.publishStorageEvent('VolumeAttached', volume.volumeId, { volumeId: volume.volumeId, hostId, devicePath: volume.path });
    await eventually('the view to catch up', async () => ((await h.viewVolume(volume.volumeId))?.status === 'attached' ? true : undefined));

    const snapshotId = randomUUID();
    expect(await h.outcome(await h.send('CreateSnapshot', snapshotId, { volumeId: volume.volumeId, name: 'live' }))).toMatchObject({ type: 'SnapshotCreated' });
    expect(await h.outcome(await h.send('RevertToSnapshot', snapshotId, {}))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'snapshot.volume_attached', message: expect.stringContaining('attached to 1 host(s)') } },
    });

    await h.publishStorageEvent('VolumeDetachRequested', volume.volumeId, { volumeId: volume.volumeId, hostId, backendHost: hostId });
    await h.publishStorageEvent('VolumeDetached', volume.volumeId, { volumeId: volume.volumeId, hostId });
    await eventually('the view to catch up', async () => ((await h.viewVolume(volume.volumeId))?.status === 'ready' ? true : undefined));
    expect(await h.outcome(await h.send('RevertToSnapshot', snapshotId, {}))).toMatchObject({ type: 'SnapshotReverted' });
  });

  it('refuses a snapshot of a volume that is being deleted, naming its status', async () => {
    const volume = await h.createVolume(pool, MiB);
    await h.publishStorageEvent('VolumeDeletionRequested', volume.volumeId, { volumeId: volume.volumeId, poolId: pool.poolId, backendName: volume.backendName });
    await eventually('the view to catch up', async () => ((await h.viewVolume(volume.volumeId))?.status === 'deleting' ? true : undefined));
    expect(await h.outcome(await h.send('CreateSnapshot', randomUUID(), { volumeId: volume.volumeId, name: 'late' }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'snapshot.volume_not_ready', message: expect.stringContaining('is deleting') } },
    });
  });

  it('finishes a snapshot whose intent was recorded but whose backend call never ran (recovery sweep)', async () => {
    const volume = await h.createVolume(pool, MiB);
    const snapshotId = randomUUID();
    const causationId = randomUUID();
    const backendName = `snap-${snapshotId}`;
    // What a crash between the intent and the backend call leaves: the intent is the stream's newest event.
    await h.app.get(PgEventStore).append(`snapshot-${snapshotId}`, 0, [
      {
        messageId: randomUUID(),
        type: 'SnapshotRequested',
        schemaVersion: 1,
        aggregateId: snapshotId,
        occurredAt: new Date().toISOString(),
        correlationId: causationId,
        causationId,
        tenant: 'acme',
        data: { snapshotId, volumeId: volume.volumeId, name: 'crashed', poolId: pool.poolId, volumeBackendName: volume.backendName, backendName, policyId: null, dueAt: null },
      },
    ]);
    const snapshotFile = path.join(poolDir, '.snapshots', volume.backendName, `${backendName}.raw`);
    await expect(stat(snapshotFile)).rejects.toMatchObject({ code: 'ENOENT' });

    expect(await h.app.get(SnapshotRecovery).sweep(0)).toBeGreaterThanOrEqual(1);
    // The outcome carries the intent's causation, so the original job ends.
    expect(await h.eventFor('SnapshotCreated', causationId)).toMatchObject({ aggregateId: snapshotId, data: { snapshotId, sizeBytes: MiB } });
    expect((await stat(snapshotFile)).size).toBe(MiB);
    // A second sweep finds nothing left to do.
    const stored = await h.app.get(PgEventStore).readStream(`snapshot-${snapshotId}`);
    expect(stored.map((e) => e.envelope.type)).toEqual(['SnapshotRequested', 'SnapshotCreated']);
    await h.app.get(SnapshotRecovery).sweep(0);
    expect((await h.app.get(PgEventStore).readStream(`snapshot-${snapshotId}`)).length).toBe(2);
  });

  it('answers an invalid command with a rejection naming the field, and dead-letters bytes that are no envelope', async () => {
    expect(await h.outcome(await h.send('CreateSnapshot', randomUUID(), { volumeId: 'not-a-uuid', name: 's' }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'command.invalid' }, violations: [expect.objectContaining({ field: 'data.volumeId' })] },
    });
    const before = h.deadLetters.length;
    await h.sendRaw('garbage', 'this is not json');
    await eventually('the view to catch up', async () => (h.deadLetters.length > before ? true : undefined));
    const letter = h.deadLetters[h.deadLetters.length - 1];
    expect(letter.value?.toString('utf8')).toBe('this is not json');
    expect(letter.headers['strata-dlq-topic']).toBe(h.topics.snapshotCommands);
  });
});
