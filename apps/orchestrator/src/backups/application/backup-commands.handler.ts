import { Injectable } from '@nestjs/common';
import type { FieldViolation } from '@strata/kernel';
import { IdGenerator } from '@strata/service-kit';
import { DataSource } from 'typeorm';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { uuidFieldOf } from '../../commands/domain/command-request';
import {
  backupAlreadyDeleted,
  backupNotCompleted,
  backupScheduleAlreadyDeleted,
  backupTargetAlreadyRemoved,
  snapshotNotReady,
  volumeAlreadyDeleted,
} from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { PoolLookup } from '../../pools/application/pool-lookup';
import type { BackupRow, BackupTargetRow, VolumeRow } from '../../read-model/domain/rows';
import { SnapshotEntity } from '../../read-model/infrastructure/snapshot.entity';
import { VolumeLookup } from '../../volumes/application/volume-lookup';
import { createBackupData, createBackupScheduleData, importBackupRequest, restoreBackupData } from '../domain/backup-request';
import { BackupLookups } from './backup-lookups';

export interface TargetAccepted {
  readonly jobId: string;
  readonly targetId: string;
}
export interface BackupAccepted {
  readonly jobId: string;
  readonly backupId: string;
}
export interface RestoreAccepted {
  readonly jobId: string;
  readonly restoreId: string;
  /** Over the original: the backup's volume. A new volume's id is the backup service's to choose (GET /restores/{id} shows it). */
  readonly volumeId?: string;
}
export interface ScheduleAccepted {
  readonly jobId: string;
  readonly scheduleId: string;
}

/** A backup can be read back (verified, restored) once its data is all on the target. */
const READABLE = new Set(['completed', 'imported']);

/**
 * The backup commands, to the backup service through the same submitter and outbox as every
 * command. What the read model can tell is checked here (404 for what the caller cannot see,
 * 409 for a state that cannot take the command); everything else (a target that cannot be
 * reached, a volume that cannot be read now, a schedule's rules) is the backup service's to
 * judge: the job then fails with its reason. Commands about a volume's backups carry the
 * volume's owner as tenant, also when an operator sends them.
 */
@Injectable()
export class BackupCommandsHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly lookups: BackupLookups,
    private readonly volumes: VolumeLookup,
    private readonly pools: PoolLookup,
    private readonly ids: IdGenerator,
    private readonly dataSource: DataSource,
  ) {}

  /** POST /backup-targets (operators only): the S3 secret passes through in the command only. */
  async addTarget(body: unknown, context: RequestContext): Promise<TargetAccepted> {
    const targetId = this.ids.newId();
    const jobId = await this.commands.submit('AddBackupTarget', targetId, body, context);
    return { jobId, targetId };
  }

  /** DELETE /backup-targets/{id}: refused by the backup service while backups are kept on it. */
  async removeTarget(targetId: string, context: RequestContext): Promise<TargetAccepted> {
    await this.activeTarget(targetId);
    const jobId = await this.commands.submit('RemoveBackupTarget', targetId, {}, context);
    return { jobId, targetId };
  }

  /** POST /backup-targets/{id}/garbage-collection. */
  async collectGarbage(targetId: string, context: RequestContext): Promise<TargetAccepted> {
    await this.activeTarget(targetId);
    const jobId = await this.commands.submit('CollectBackupGarbage', targetId, {}, context);
    return { jobId, targetId };
  }

  /** POST /backup-targets/{id}/imports {backupId}: the backup keeps the id it has on the target. */
  async importBackup(targetId: string, body: unknown, context: RequestContext): Promise<BackupAccepted> {
    await this.activeTarget(targetId);
    const request = importBackupRequest(body, targetId);
    // An unusable backupId is named with the rest; the command is then never built.
    const backupId = request.backupId ?? this.ids.newId();
    const jobId = await this.commands.submit('ImportBackup', backupId, request.data, context, request.violations);
    return { jobId, backupId };
  }

  /** POST /volumes/{id}/backups {targetId, snapshotId?, full?}. */
  async createBackup(volumeId: string, body: unknown, context: RequestContext): Promise<BackupAccepted> {
    const volume = await this.liveVolume(volumeId, context);
    const { data, violations } = createBackupData(body, volumeId);
    await this.bodyTarget(body);
    const snapshotViolations = await this.snapshotOf(body, volumeId, context);
    const backupId = this.ids.newId();
    const jobId = await this.commands.submit('CreateBackup', backupId, data, { ...context, tenant: volume.tenant }, [...violations, ...snapshotViolations]);
    return { jobId, backupId };
  }

  /** POST /backups/{id}/verify: every chunk read back and hashed. */
  async verify(backupId: string, context: RequestContext): Promise<BackupAccepted> {
    const backup = await this.readableBackup(backupId, context);
    const jobId = await this.commands.submit('VerifyBackup', backupId, {}, { ...context, tenant: backup.tenant });
    return { jobId, backupId };
  }

  /** DELETE /backups/{id}: its manifest goes; chunks at the target's next garbage collection. */
  async deleteBackup(backupId: string, context: RequestContext): Promise<BackupAccepted> {
    const backup = await this.lookups.backup(backupId, context);
    if (backup.status === 'deleted' || backup.status === 'deleting') throw backupAlreadyDeleted(backupId);
    const jobId = await this.commands.submit('DeleteBackup', backupId, {}, { ...context, tenant: backup.tenant });
    return { jobId, backupId };
  }

  /** POST /backups/{id}/restore {poolId, name} | {overOriginal: true}. */
  async restore(backupId: string, body: unknown, context: RequestContext): Promise<RestoreAccepted> {
    const backup = await this.readableBackup(backupId, context);
    const poolId = uuidFieldOf(body, 'poolId');
    if (poolId) await this.pools.live(poolId);
    const { data, violations } = restoreBackupData(body, backupId);
    const restoreId = this.ids.newId();
    const jobId = await this.commands.submit('RestoreBackup', restoreId, data, { ...context, tenant: backup.tenant }, violations);
    const overOriginal = typeof body === 'object' && body !== null && (body as Record<string, unknown>).overOriginal === true;
    return overOriginal ? { jobId, restoreId, volumeId: backup.volumeId } : { jobId, restoreId };
  }

  /** POST /volumes/{id}/backup-schedules {targetId, schedule, retention}. */
  async createSchedule(volumeId: string, body: unknown, context: RequestContext): Promise<ScheduleAccepted> {
    const volume = await this.liveVolume(volumeId, context);
    await this.bodyTarget(body);
    const { data, violations } = createBackupScheduleData(body, volumeId);
    const scheduleId = this.ids.newId();
    const jobId = await this.commands.submit('CreateBackupSchedule', scheduleId, data, { ...context, tenant: volume.tenant }, violations);
    return { jobId, scheduleId };
  }

  /** DELETE /backup-schedules/{id}: the backups it made stay. */
  async deleteSchedule(scheduleId: string, context: RequestContext): Promise<ScheduleAccepted> {
    const schedule = await this.lookups.schedule(scheduleId, context);
    if (schedule.status === 'deleted') throw backupScheduleAlreadyDeleted(scheduleId);
    const jobId = await this.commands.submit('DeleteBackupSchedule', scheduleId, {}, { ...context, tenant: schedule.tenant });
    return { jobId, scheduleId };
  }

  /** A volume to back up: the caller's (404) and not deleted (409). */
  private async liveVolume(volumeId: string, context: RequestContext): Promise<VolumeRow> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') throw volumeAlreadyDeleted(volumeId);
    return volume;
  }

  /** A backup to read back (verify, restore): the caller's (404) and all on the target (409). */
  private async readableBackup(backupId: string, context: RequestContext): Promise<BackupRow> {
    const backup = await this.lookups.backup(backupId, context);
    if (!READABLE.has(backup.status)) throw backupNotCompleted(backupId, backup.status);
    return backup;
  }

  private async activeTarget(targetId: string): Promise<BackupTargetRow> {
    const target = await this.lookups.target(targetId);
    if (target.status === 'removed') throw backupTargetAlreadyRemoved(targetId);
    return target;
  }

  /** The body's targetId, when it is a UUID: known (404) and not removed (409). Anything else is the command's rules' to name. */
  private async bodyTarget(body: unknown): Promise<void> {
    const targetId = uuidFieldOf(body, 'targetId');
    if (!targetId) return;
    await this.activeTarget(targetId);
  }

  /** The body's snapshotId: one of this volume's snapshots the caller sees, and ready. */
  private async snapshotOf(body: unknown, volumeId: string, context: RequestContext): Promise<FieldViolation[]> {
    const snapshotId = uuidFieldOf(body, 'snapshotId');
    if (!snapshotId) return [];
    const snapshot = await this.dataSource.getRepository(SnapshotEntity).findOne({ where: { id: snapshotId } });
    if (!snapshot || snapshot.volumeId !== volumeId || (context.tenant !== null && snapshot.tenant !== context.tenant)) {
      return [{ field: 'snapshotId', rule: 'snapshotOfVolume', message: `snapshotId must name a snapshot of volume ${volumeId}` }];
    }
    if (snapshot.status !== 'ready') throw snapshotNotReady(snapshotId, snapshot.status);
    return [];
  }
}
