import { randomUUID } from 'node:crypto';
import type { BackupRow, BackupScheduleRow, BackupTargetRow, JobRow, RestoreRow } from '../../read-model/domain/rows';
import { NO_USAGE } from './pool-projection';
import { projectEvent, projectionTargets } from './project-event';
import { readEvent, type ReceivedEvent } from './storage-event';

/** The backup read models in memory, fed as the TypeORM edge feeds the real ones. */
class BackupReadModels {
  targets = new Map<string, BackupTargetRow>();
  backups = new Map<string, BackupRow>();
  restores = new Map<string, RestoreRow>();
  schedules = new Map<string, BackupScheduleRow>();
  jobs = new Map<string, JobRow>();
  volumeTenants = new Map<string, string | null>();
  history: { aggregateId: string; type: string }[] = [];

  apply(...events: ReceivedEvent[]): this {
    for (const e of events) {
      const t = projectionTargets(e);
      const ownerTenant = t.tenantOfVolumeId
        ? (this.volumeTenants.get(t.tenantOfVolumeId) ?? null)
        : t.tenantOfBackupId
          ? (this.backups.get(t.tenantOfBackupId)?.tenant ?? null)
          : null;
      const view = {
        pool: null,
        poolUsage: NO_USAGE,
        volume: null,
        host: null,
        drift: null,
        backupTarget: (t.backupTargetId && this.targets.get(t.backupTargetId)) || null,
        backup: (t.backupId && this.backups.get(t.backupId)) || null,
        restore: (t.restoreId && this.restores.get(t.restoreId)) || null,
        backupSchedule: (t.backupScheduleId && this.schedules.get(t.backupScheduleId)) || null,
        ownerTenant,
        job: (t.jobId && this.jobs.get(t.jobId)) || null,
      };
      const changes = projectEvent(view, e);
      if (changes.backupTarget) this.targets.set(changes.backupTarget.id, changes.backupTarget);
      if (changes.backup) this.backups.set(changes.backup.id, changes.backup);
      if (changes.restore) this.restores.set(changes.restore.id, changes.restore);
      if (changes.backupSchedule) this.schedules.set(changes.backupSchedule.id, changes.backupSchedule);
      if (changes.job) this.jobs.set(changes.job.id, changes.job);
      if (changes.history) this.history.push({ aggregateId: changes.history.aggregateId, type: changes.history.type });
    }
    return this;
  }
}

let clock = Date.parse('2026-11-21T00:00:00.000Z');
function event(type: string, aggregateId: string, streamVersion: number, data: Record<string, unknown>, causationId: string | null = randomUUID(), tenant: string | null = null): ReceivedEvent {
  clock += 1000;
  const read = readEvent({
    messageId: randomUUID(),
    kind: 'event',
    type,
    schemaVersion: 1,
    aggregateId,
    streamVersion,
    occurredAt: new Date(clock).toISOString(),
    correlationId: 'c',
    causationId,
    tenant,
    data,
  });
  if (!read.ok) throw new Error(read.reason);
  return read.event;
}

const accepted = (id: string, commandType: string, aggregateId: string): JobRow => ({
  id,
  commandType,
  aggregateId,
  tenant: null,
  status: 'accepted',
  result: null,
  error: null,
  createdAt: new Date(clock),
  updatedAt: new Date(clock),
});
const MiB = 2 ** 20;

describe('backup projection', () => {
  it('keeps a target with its settings redacted by its own whitelist, whatever the event carried', () => {
    const targetId = randomUUID();
    const job = randomUUID();
    const rm = new BackupReadModels();
    rm.jobs.set(job, accepted(job, 'AddBackupTarget', targetId));
    rm.apply(
      event('BackupTargetAdded', targetId, 1, {
        targetId,
        name: 'offsite',
        kind: 's3',
        // An event that failed to redact (or carried a field nobody asked for) still shows none of it.
        config: { endpoint: 'http://s3.local:9000', bucket: 'b1', accessKeyId: 'AK', secretAccessKey: 'leaked-secret', sessionToken: 'tok', forcePathStyle: true },
      }, job),
    );
    expect(rm.targets.get(targetId)).toMatchObject({
      name: 'offsite',
      kind: 's3',
      status: 'active',
      config: { endpoint: 'http://s3.local:9000', bucket: 'b1', accessKeyId: 'AK', forcePathStyle: true, secretAccessKey: '***' },
    });
    expect(JSON.stringify(rm.targets.get(targetId))).not.toMatch(/leaked-secret|tok/);
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', result: { targetId } });

    const gcJob = randomUUID();
    rm.jobs.set(gcJob, accepted(gcJob, 'CollectBackupGarbage', targetId));
    rm.apply(event('BackupGarbageCollected', targetId, 2, { targetId, manifests: 3, chunksKept: 10, chunksDeleted: 4, chunksTooYoung: 1 }, gcJob));
    expect(rm.targets.get(targetId)!.lastGarbageCollection).toMatchObject({ status: 'succeeded', chunksDeleted: 4, chunksTooYoung: 1 });
    expect(rm.jobs.get(gcJob)).toMatchObject({ status: 'succeeded', result: { targetId, chunksDeleted: 4 } });
    rm.apply(event('BackupTargetRemoved', targetId, 3, { targetId }));
    expect(rm.targets.get(targetId)!.status).toBe('removed');
    // A redelivered older event changes nothing.
    rm.apply(event('BackupTargetAdded', targetId, 1, { targetId, name: 'offsite', kind: 'directory', config: { path: '/x' } }));
    expect(rm.targets.get(targetId)!.status).toBe('removed');
  });

  it("follows a backup from request to completion, with progress on its job, figures, the volume's tenant and verification", () => {
    const backupId = randomUUID();
    const volumeId = randomUUID();
    const targetId = randomUUID();
    const job = randomUUID();
    const rm = new BackupReadModels();
    rm.volumeTenants.set(volumeId, 'acme');
    rm.jobs.set(job, accepted(job, 'CreateBackup', backupId));
    const requested = { backupId, volumeId, targetId, snapshotId: randomUUID(), snapshotTaken: true, kind: 'full', parentBackupId: null, chunkSizeBytes: 4 * MiB, poolId: randomUUID(), sizeBytes: 64 * MiB };
    // A scheduled backup names no tenant: it takes the volume's.
    rm.apply(event('BackupRequested', backupId, 1, requested, job, null));
    expect(rm.backups.get(backupId)).toMatchObject({ status: 'requested', kind: 'full', parentBackupId: null, tenant: 'acme', sizeBytes: 64 * MiB });
    expect(rm.jobs.get(job)!.status).toBe('running');

    rm.apply(event('BackupStepRequested', backupId, 2, { backupId, step: 'snapshot', commandId: randomUUID(), aggregateId: randomUUID() }, job));
    rm.apply(event('BackupSourceAttached', backupId, 3, { backupId, volumeId: randomUUID(), hostId: randomUUID(), devicePath: '/dev/x' }, job));
    expect(rm.backups.get(backupId)!.status).toBe('running');
    rm.apply(event('BackupProgressed', backupId, 4, { backupId, bytesDone: 32 * MiB, bytesTotal: 64 * MiB, percent: 50 }, job));
    expect(rm.backups.get(backupId)!.progressPercent).toBe(50);
    expect(rm.jobs.get(job)).toMatchObject({ status: 'running', progress: 50 });
    const figures = { chunks: 16, newChunks: 3, reusedChunks: 1, zeroChunks: 12, bytesWritten: 5 * MiB, manifestSha256: 'ab' };
    rm.apply(event('BackupDataWritten', backupId, 5, { backupId, ...figures }, job));
    rm.apply(event('BackupCompleted', backupId, 6, { backupId, volumeId, sizeBytes: 64 * MiB, ...figures }, job));
    expect(rm.backups.get(backupId)).toMatchObject({ status: 'completed', chunks: 16, newChunks: 3, reusedChunks: 1, zeroChunks: 12, bytesWritten: 5 * MiB, progressPercent: 100 });
    expect(rm.backups.get(backupId)!.completedAt).toBeInstanceOf(Date);
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', progress: 100, result: { backupId, newChunks: 3, bytesWritten: 5 * MiB } });
    // Every event of the stream is in its history, the steps too.
    expect(rm.history.filter((h) => h.aggregateId === backupId).map((h) => h.type)).toEqual([
      'BackupRequested', 'BackupStepRequested', 'BackupSourceAttached', 'BackupProgressed', 'BackupDataWritten', 'BackupCompleted',
    ]);

    const verify = randomUUID();
    rm.jobs.set(verify, accepted(verify, 'VerifyBackup', backupId));
    rm.apply(event('BackupVerified', backupId, 7, { backupId, chunksChecked: 4 }, verify));
    expect(rm.backups.get(backupId)!.lastVerification).toMatchObject({ result: 'succeeded', chunksChecked: 4 });
    expect(rm.jobs.get(verify)).toMatchObject({ status: 'succeeded' });
    const again = randomUUID();
    rm.jobs.set(again, accepted(again, 'VerifyBackup', backupId));
    rm.apply(event('BackupVerificationFailed', backupId, 8, { backupId, error: { code: 'backup.corrupt', category: 'integrity', message: 'bad' }, badChunks: ['c1'] }, again));
    expect(rm.backups.get(backupId)!.lastVerification).toMatchObject({ result: 'failed', badChunks: ['c1'], error: { code: 'backup.corrupt' } });
    expect(rm.jobs.get(again)).toMatchObject({ status: 'failed', error: { code: 'backup.corrupt', details: { backupId, badChunks: ['c1'] } } });

    rm.apply(event('BackupDeletionRequested', backupId, 9, { backupId }));
    expect(rm.backups.get(backupId)!.status).toBe('deleting');
    rm.apply(event('BackupDeleted', backupId, 10, { backupId }));
    expect(rm.backups.get(backupId)!.status).toBe('deleted');
  });

  it('keeps an incremental backup\'s parent, the failure of one, and an imported backup', () => {
    const rm = new BackupReadModels();
    const parent = randomUUID();
    const id = randomUUID();
    const volumeId = randomUUID();
    const base = { volumeId, targetId: randomUUID(), snapshotId: randomUUID(), snapshotTaken: false, chunkSizeBytes: MiB, poolId: randomUUID(), sizeBytes: MiB };
    rm.apply(event('BackupRequested', id, 1, { ...base, backupId: id, kind: 'incremental', parentBackupId: parent }, randomUUID(), 'acme'));
    expect(rm.backups.get(id)).toMatchObject({ kind: 'incremental', parentBackupId: parent, tenant: 'acme' });
    rm.apply(event('BackupFailed', id, 2, { backupId: id, error: { code: 'backup.source_unreadable', category: 'backend', message: 'EIO' } }));
    expect(rm.backups.get(id)).toMatchObject({ status: 'failed', error: { code: 'backup.source_unreadable' } });

    const imported = randomUUID();
    rm.apply(event('BackupImported', imported, 1, { backupId: imported, targetId: base.targetId, volumeId: randomUUID(), kind: 'full', parentBackupId: null, sizeBytes: MiB, chunks: 1, manifestSha256: 'x', createdAt: '2026-01-01T00:00:00.000Z' }));
    expect(rm.backups.get(imported)).toMatchObject({ status: 'imported', tenant: null, snapshotId: null, createdAt: new Date('2026-01-01T00:00:00.000Z') });
  });

  it("follows a restore: its backup's tenant, progress on its job, outcome", () => {
    const rm = new BackupReadModels();
    const backupId = randomUUID();
    rm.backups.set(backupId, { id: backupId, tenant: 'acme' } as BackupRow);
    const restoreId = randomUUID();
    const job = randomUUID();
    const volumeId = randomUUID();
    rm.jobs.set(job, accepted(job, 'RestoreBackup', restoreId));
    rm.apply(event('RestoreRequested', restoreId, 1, { restoreId, backupId, volumeId, mode: 'new', poolId: randomUUID(), sizeBytes: MiB }, job, null));
    expect(rm.restores.get(restoreId)).toMatchObject({ status: 'running', mode: 'new', volumeId, tenant: 'acme' });
    rm.apply(event('RestoreProgressed', restoreId, 2, { restoreId, bytesDone: 10, bytesTotal: 100, percent: 10 }, job));
    expect(rm.jobs.get(job)).toMatchObject({ status: 'running', progress: 10 });
    // A report behind the last changes neither.
    rm.apply(event('RestoreProgressed', restoreId, 3, { restoreId, bytesDone: 5, bytesTotal: 100, percent: 5 }, job));
    expect(rm.restores.get(restoreId)!.progressPercent).toBe(10);
    expect(rm.jobs.get(job)!.progress).toBe(10);
    rm.apply(event('RestoreCompleted', restoreId, 4, { restoreId, backupId, volumeId }, job));
    expect(rm.restores.get(restoreId)).toMatchObject({ status: 'completed', progressPercent: 100 });
    expect(rm.jobs.get(job)).toMatchObject({ status: 'succeeded', result: { restoreId, backupId, volumeId } });

    const failed = randomUUID();
    rm.apply(event('RestoreRequested', failed, 1, { restoreId: failed, backupId, volumeId, mode: 'original', poolId: randomUUID(), sizeBytes: MiB }, randomUUID(), 'acme'));
    rm.apply(event('RestoreFailed', failed, 2, { restoreId: failed, error: { code: 'restore.volume_attached', category: 'illegal_state', message: 'attached' } }));
    expect(rm.restores.get(failed)).toMatchObject({ status: 'failed', mode: 'original', error: { code: 'restore.volume_attached' } });
  });

  it('keeps a schedule, its last run and its end', () => {
    const rm = new BackupReadModels();
    const scheduleId = randomUUID();
    const volumeId = randomUUID();
    rm.volumeTenants.set(volumeId, 'acme');
    const schedule = { kind: 'daily', time: '02:30', timeZone: 'Europe/Sofia' };
    rm.apply(event('BackupScheduleCreated', scheduleId, 1, { scheduleId, volumeId, targetId: randomUUID(), schedule, retention: 7 }));
    expect(rm.schedules.get(scheduleId)).toMatchObject({ status: 'active', schedule, retention: 7, tenant: 'acme', lastRunDueAt: null });
    const backupId = randomUUID();
    rm.apply(event('BackupScheduleRunRecorded', scheduleId, 2, { scheduleId, dueAt: '2026-11-22T00:30:00.000Z', backupId }));
    expect(rm.schedules.get(scheduleId)).toMatchObject({ lastRunDueAt: new Date('2026-11-22T00:30:00.000Z'), lastBackupId: backupId });
    rm.apply(event('BackupScheduleDeleted', scheduleId, 3, { scheduleId }));
    expect(rm.schedules.get(scheduleId)!.status).toBe('deleted');
  });

  it('dead-letters a backup event without the fields the projection reads', () => {
    const read = readEvent({
      messageId: randomUUID(), kind: 'event', type: 'BackupCompleted', schemaVersion: 1, aggregateId: randomUUID(), streamVersion: 2,
      occurredAt: new Date().toISOString(), correlationId: 'c', causationId: null, tenant: null, data: { backupId: randomUUID(), sizeBytes: -1 },
    });
    expect(read.ok).toBe(false);
    expect(read.ok ? '' : read.reason).toMatch(/data.sizeBytes must be a non-negative integer/);
  });
});
