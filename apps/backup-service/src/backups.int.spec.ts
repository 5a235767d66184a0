import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Envelope } from '@strata/contracts';
import { eventually } from '@strata/testing';
import { DataSource } from 'typeorm';
import { backupIds, cloneName } from './backups/domain/backup';
import { startBackupHarness, type BackupHarness } from './testing/backup-harness.spec';

const MiB = 2 ** 20;
const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));
type Data = Record<string, unknown>;

/** 22 MiB: random, zero, a repeated pattern and a partial last chunk, so every kind of chunk is there. */
function sourceBytes(): Buffer {
  const pattern = Buffer.alloc(4 * MiB);
  for (let i = 0; i < pattern.length; i++) pattern[i] = i % 251;
  return Buffer.concat([randomBytes(4 * MiB), Buffer.alloc(4 * MiB), pattern, randomBytes(4 * MiB), Buffer.alloc(4 * MiB), randomBytes(2 * MiB)]);
}

/**
 * Backups and restores across services, with the backup service in this process on real
 * PostgreSQL and Kafka, the real chunk engine and a directory target; the test plays the
 * storage and snapshot services (answering the commands on their topics, with files as
 * volumes: VolumeAttached names a file as devicePath).
 */
describe('backups and restores', () => {
  let h: BackupHarness;
  let dir: string;
  let targetId: string;
  let source: Buffer;
  let volumeId: string;
  let firstBackup: string;
  const poolId = randomUUID();

  const commandsOf = (type: string, aggregateId?: string) => h.commands.filter((c) => c.type === type && (aggregateId === undefined || c.aggregateId === aggregateId));
  const eventsOf = (type: string, aggregateId: string) => h.events.filter((e) => e.type === type && e.aggregateId === aggregateId);

  async function backup(data: Data): Promise<{ backupId: string; jobId: string; completed: Envelope }> {
    const backupId = randomUUID();
    const jobId = await h.send('CreateBackup', backupId, data);
    const completed = await h.eventFor('BackupCompleted', jobId);
    return { backupId, jobId, completed };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-backups-'));
    h = await startBackupHarness('backups', path.join(dir, 'devices'));
    targetId = randomUUID();
    await mkdir(path.join(dir, 'target'));
    const added = await h.send('AddBackupTarget', targetId, { name: 'local-dir', kind: 'directory', directory: { path: path.join(dir, 'target') } });
    const answer = await eventually('the answer to AddBackupTarget', async () => h.events.find((e) => e.causationId === added), 60_000);
    expect(answer).toMatchObject({ type: 'BackupTargetAdded' });
    source = sourceBytes();
    volumeId = await h.addVolume(poolId, source);
  });

  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a full backup: snapshot, temporary clone, attach to the backup host, chunks to the target, then detach, delete the clone, release the snapshot', async () => {
    const { backupId, jobId, completed } = await backup({ volumeId, targetId });
    firstBackup = backupId;
    const requested = await h.eventFor('BackupRequested', jobId);
    expect(requested.data).toMatchObject({ kind: 'full', parentBackupId: null, snapshotTaken: true, poolId, sizeBytes: 22 * MiB, chunkSizeBytes: 4 * MiB });
    const d = completed.data as Data;
    expect(d).toMatchObject({ backupId, volumeId, sizeBytes: 22 * MiB, chunks: 6, zeroChunks: 2, reusedChunks: 0 });
    expect(d.newChunks).toBe(4);
    console.log(`full backup: ${d.chunks} chunks, ${d.newChunks} new, ${d.zeroChunks} zero, ${d.bytesWritten} bytes written`);

    const snapshotId = backupIds.snapshotId(backupId);
    const cloneId = backupIds.cloneId(backupId);
    expect(commandsOf('CreateSnapshot', snapshotId)[0]).toMatchObject({ messageId: backupIds.command(backupId, 'snapshot'), data: { volumeId } });
    expect(commandsOf('CreateVolume', cloneId)[0]).toMatchObject({
      messageId: backupIds.command(backupId, 'clone'),
      data: { name: cloneName(backupId), poolId, sizeBytes: 22 * MiB, fromSnapshot: { snapshotId, volumeId } },
    });
    expect(commandsOf('AttachVolume', cloneId)[0].data).toEqual({ hostId: h.hostId });
    expect(commandsOf('DetachVolume', cloneId)[0].data).toEqual({ hostId: h.hostId });
    expect(commandsOf('DeleteVolume', cloneId)).toHaveLength(1);
    expect(commandsOf('DeleteSnapshot', snapshotId)).toHaveLength(1);
    // Progress at most every tenth, each a new tenth.
    const tenths = eventsOf('BackupProgressed', backupId).map((e) => Math.floor((e.data as { percent: number }).percent / 10));
    expect(tenths.length).toBeLessThanOrEqual(10);
    expect(new Set(tenths).size).toBe(tenths.length);
    // Every event of the backup reports to the CreateBackup job.
    expect(h.events.filter((e) => e.aggregateId === backupId).every((e) => e.causationId === jobId)).toBe(true);

    const verifyJob = await h.send('VerifyBackup', backupId, {});
    expect((await h.eventFor('BackupVerified', verifyJob)).data).toEqual({ backupId, chunksChecked: 4 });
  });

  it('a second backup of the unchanged volume is incremental and writes no chunk', async () => {
    const { jobId, completed } = await backup({ volumeId, targetId });
    expect((await h.eventFor('BackupRequested', jobId)).data).toMatchObject({ kind: 'incremental', parentBackupId: firstBackup });
    const d = completed.data as Data;
    expect(d).toMatchObject({ chunks: 6, newChunks: 0, reusedChunks: 4, zeroChunks: 2 });
    console.log(`incremental backup of the unchanged volume: ${d.newChunks} new chunks, ${d.bytesWritten} bytes written (the manifest)`);
  });

  it('a restore to a new volume: created, attached, written, detached; its bytes are the source bytes', async () => {
    const restoreId = randomUUID();
    const jobId = await h.send('RestoreBackup', restoreId, { backupId: firstBackup, poolId, name: 'restored-1' });
    const requested = await h.eventFor('RestoreRequested', jobId);
    const newVolume = (requested.data as { volumeId: string }).volumeId;
    expect(requested.data).toMatchObject({ restoreId, backupId: firstBackup, mode: 'new', poolId, sizeBytes: 22 * MiB });
    expect((await h.eventFor('RestoreCompleted', jobId)).data).toEqual({ restoreId, backupId: firstBackup, volumeId: newVolume });
    expect(commandsOf('CreateVolume', newVolume)[0].data).toEqual({ name: 'restored-1', poolId, sizeBytes: 22 * MiB });
    expect(commandsOf('DetachVolume', newVolume)).toHaveLength(1);
    expect((await readFile(h.devices.get(newVolume) as string)).equals(source)).toBe(true);
  });

  it('a restore over the original (detached) volume with other content makes it equal to the backup again, zeros included', async () => {
    const device = h.devices.get(volumeId) as string;
    await writeFile(device, randomBytes(22 * MiB));
    expect((await readFile(device)).equals(source)).toBe(false);
    const restoreId = randomUUID();
    const jobId = await h.send('RestoreBackup', restoreId, { backupId: firstBackup, overOriginal: true });
    expect((await h.eventFor('RestoreRequested', jobId)).data).toMatchObject({ volumeId, mode: 'original' });
    await h.eventFor('RestoreCompleted', jobId);
    expect((await readFile(device)).equals(source)).toBe(true);
    expect(commandsOf('AttachVolume', volumeId)).toHaveLength(1);
    expect(commandsOf('DeleteVolume', volumeId)).toHaveLength(0);
  });

  it('a backup whose process is restarted during the data step resumes at start and completes once', async () => {
    h.engine.closeGate();
    const runsBefore = h.engine.runs;
    const backupId = randomUUID();
    const jobId = await h.send('CreateBackup', backupId, { volumeId, targetId, full: true });
    await eventually('the data step to start', async () => (h.engine.waiting > 0 ? true : undefined), 60_000);
    await h.eventFor('BackupSourceAttached', jobId);
    // The shutdown aborts the run (nothing recorded); the start's recovery runs it again.
    await h.restart(async () => h.engine.openGate());
    const completed = await h.eventFor('BackupCompleted', jobId);
    await settle(3000);
    expect(eventsOf('BackupCompleted', backupId)).toHaveLength(1);
    expect(eventsOf('BackupDataWritten', backupId)).toHaveLength(1);
    expect(h.engine.runs - runsBefore).toBe(2);
    // A full backup on a target that has every chunk: the rerun wrote none again.
    expect(completed.data).toMatchObject({ newChunks: 0, reusedChunks: 4 });
    expect(commandsOf('DeleteVolume', backupIds.cloneId(backupId))).toHaveLength(1);
    console.log(`restarted backup: ${(completed.data as Data).bytesWritten} bytes written after the rerun`);
  });

  it('a failed clone ends in BackupFailed after the snapshot taken for it is released (cleanup commands sent)', async () => {
    const error = { code: 'volume.backend_failed', category: 'backend', message: 'the pool is full' };
    h.failNext('CreateVolume', error);
    const backupId = randomUUID();
    const jobId = await h.send('CreateBackup', backupId, { volumeId, targetId });
    const failed = await h.eventFor('BackupFailed', jobId);
    expect(failed.data).toEqual({ backupId, error });
    const cloneId = backupIds.cloneId(backupId);
    // The clone's record may exist (the storage service failed it): deleted; the snapshot released; no attach.
    expect(commandsOf('DeleteVolume', cloneId)).toHaveLength(1);
    expect(commandsOf('DeleteSnapshot', backupIds.snapshotId(backupId))).toHaveLength(1);
    expect(commandsOf('AttachVolume', cloneId)).toHaveLength(0);
    const steps = eventsOf('BackupStepRequested', backupId).map((e) => (e.data as { step: string; failure?: unknown }).step);
    expect(steps).toEqual(['snapshot', 'clone', 'cleanup', 'release']);
  });

  it('a refusal names the field: an unknown target', async () => {
    const jobId = await h.send('CreateBackup', randomUUID(), { volumeId, targetId: randomUUID() });
    const rejected = await h.eventFor('CommandRejected', jobId);
    expect(rejected.data).toMatchObject({ error: { code: 'backup.target_not_found' }, violations: [{ field: 'data.targetId' }] });
  });

  it('DeleteBackup deletes the manifest; the incremental backup after it is still restorable', async () => {
    const deleteJob = await h.send('DeleteBackup', firstBackup, {});
    await h.eventFor('BackupDeleted', deleteJob);
    const second = h.events.find((e) => e.type === 'BackupRequested' && (e.data as Data).parentBackupId === firstBackup) as Envelope;
    const restoreId = randomUUID();
    const jobId = await h.send('RestoreBackup', restoreId, { backupId: second.aggregateId, poolId, name: 'restored-2' });
    const newVolume = ((await h.eventFor('RestoreRequested', jobId)).data as { volumeId: string }).volumeId;
    await h.eventFor('RestoreCompleted', jobId);
    expect((await readFile(h.devices.get(newVolume) as string)).equals(source)).toBe(true);
    const refused = await h.send('RestoreBackup', randomUUID(), { backupId: firstBackup, poolId, name: 'restored-3' });
    expect((await h.eventFor('CommandRejected', refused)).data).toMatchObject({ error: { code: 'backup.not_found' }, violations: [{ field: 'data.backupId' }] });
  });

  it('a restore over the original is refused while the volume is attached, naming data.overOriginal', async () => {
    const other = randomUUID();
    await h.publishStorage('VolumeAttached', volumeId, { volumeId, hostId: other, devicePath: '/dev/vdb' });
    await eventually('the view to see the attachment', async () => {
      const rows: { host_ids: string[] }[] = await h.app.get(DataSource).query(`SELECT host_ids FROM "backup".view_volumes WHERE volume_id = $1`, [volumeId]);
      return rows[0]?.host_ids.includes(other) ? true : undefined;
    });
    const second = h.events.find((e) => e.type === 'BackupRequested' && (e.data as Data).parentBackupId === firstBackup) as Envelope;
    const jobId = await h.send('RestoreBackup', randomUUID(), { backupId: second.aggregateId, overOriginal: true });
    expect((await h.eventFor('CommandRejected', jobId)).data).toMatchObject({ error: { code: 'restore.volume_attached' }, violations: [{ field: 'data.overOriginal' }] });
  });
});
