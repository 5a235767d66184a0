import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { CreateBackupScheduleData, DeleteBackupScheduleData, Envelope, Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { isDomainError, uuidFromName } from '@strata/kernel';
import { runsBeyondRetention, type RetainedRun } from '@strata/scheduling';
import { AggregateRunner, Clock, type CommandMeta, commandMeta, intervalFromEnv, intervalSetting, Periodic, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../backup.constants';

// Checked at start with the other settings; read again per instance (tests change it).
intervalSetting('STRATA_BACKUP_SCHEDULE_TICK_MS', 60_000, 100);
import { BackupDecisions } from '../../backups/application/backup-decisions';
import { CreateBackupHandler, DeleteBackupHandler } from '../../backups/application/backup.handlers';
import { internalCommand } from '../../infrastructure/internal-command';
import { BackupTargetReader } from '../../targets/targets.providers';
import { VolumeViewStore } from '../../volume-view/infrastructure/volume-view.store';
import {
  backupScheduleDecider,
  SCHEDULE_STREAM_PREFIX,
  scheduleStreamId,
  type BackupScheduleCommand,
  type BackupScheduleState,
} from '../domain/backup-schedule';

type ActiveSchedule = Exclude<BackupScheduleState, { status: 'absent' }> & { readonly status: 'active' };

/**
 * Backup schedules: the commands that create and delete them, and the scheduler. Each tick
 * (STRATA_BACKUP_SCHEDULE_TICK_MS, and once at start, which is how runs missed while the
 * service was down are caught up, once) asks every schedule for its due run. A run is
 * recorded on the schedule (BackupScheduleRunRecorded, the backup id derived from schedule
 * and due time) before the backup is asked for, and a run whose backup does not exist yet is
 * asked for again on the next tick: a crash between the two neither loses nor doubles it.
 * Then the schedule's completed backups beyond its retention are deleted, oldest first by
 * due instant (their chunks go with the target's next garbage collection).
 */
@Injectable()
export class BackupSchedules implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(BackupSchedules.name);
  private readonly periodic = new Periodic(intervalFromEnv('STRATA_BACKUP_SCHEDULE_TICK_MS', 60_000, 100), () => this.sweep());

  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly view: VolumeViewStore,
    private readonly targets: BackupTargetReader,
    private readonly backups: BackupDecisions,
    private readonly clock: Clock,
    private readonly createBackup: CreateBackupHandler,
    private readonly deleteBackup: DeleteBackupHandler,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  onApplicationBootstrap(): void {
    void this.periodic.runNow();
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  async create(command: Envelope<'CreateBackupSchedule', CreateBackupScheduleData>): Promise<void> {
    const { volumeId, targetId, schedule, retention } = command.data;
    const [volume, target] = await Promise.all([this.view.volume(volumeId), this.targets.get(targetId)]);
    await this.record(
      command.aggregateId,
      {
        type: 'CreateBackupSchedule',
        scheduleId: command.aggregateId,
        volumeId,
        targetId,
        schedule,
        retention,
        now: this.clock.now(),
        volume: volume ? { deleted: volume.deleted, status: volume.status } : null,
        targetExists: target.status === 'active',
      },
      commandMeta(command),
      command.messageId,
    );
  }

  async delete(command: Envelope<'DeleteBackupSchedule', DeleteBackupScheduleData>): Promise<void> {
    await this.record(command.aggregateId, { type: 'DeleteBackupSchedule', scheduleId: command.aggregateId }, commandMeta(command), command.messageId);
  }

  /** One pass now (or joins the pass under way, so passes never overlap). Returns the backups it asked for. */
  tick(): Promise<number> {
    return this.periodic.runNow() as Promise<number>;
  }

  /** One pass over every schedule; one schedule's trouble does not stop the others. */
  private async sweep(): Promise<number> {
    let asked = 0;
    for (const streamId of await this.store.streamIds(SCHEDULE_STREAM_PREFIX)) {
      const scheduleId = streamId.slice(SCHEDULE_STREAM_PREFIX.length);
      try {
        asked += await this.runSchedule(scheduleId);
      } catch (error) {
        this.log.error(`backup schedule ${scheduleId}: ${(error as Error).message}`);
      }
    }
    return asked;
  }

  private async runSchedule(scheduleId: string): Promise<number> {
    const meta: CommandMeta = { causationId: `schedule:${scheduleId}`, correlationId: scheduleId, tenant: null };
    const { state } = await this.runner.execute(
      backupScheduleDecider,
      scheduleStreamId(scheduleId),
      scheduleId,
      (): BackupScheduleCommand => ({ type: 'TakeDueRun', now: this.clock.now() }),
      meta,
      { outboxTopic: this.topics.backupEvents },
    );
    if (state.status !== 'active') return 0;
    const schedule = state as ActiveSchedule;
    const volume = await this.view.volume(schedule.volumeId);
    if (volume?.deleted) {
      // Its volume is gone: the schedule ends with it (its backups stay, restorable).
      await this.record(scheduleId, { type: 'DeleteBackupSchedule', scheduleId }, meta);
      this.log.log(`backup schedule ${scheduleId} ended: volume ${schedule.volumeId} is deleted`);
      return 0;
    }
    // Its backups belong to whoever the schedule belongs to.
    const [created] = await this.store.readStream(scheduleStreamId(scheduleId));
    const tenant = created?.envelope.tenant ?? null;
    const asked = await this.ensureLastRun(schedule, tenant);
    await this.applyRetention(schedule, tenant);
    return asked;
  }

  /** Asks for the newest run's backup unless it exists (a crash may have come between the run and the ask). */
  private async ensureLastRun(schedule: ActiveSchedule, tenant: string | null): Promise<number> {
    const run = schedule.runs[schedule.runs.length - 1];
    if (!run) return 0;
    if ((await this.backups.load(run.backupId)).status !== 'absent') return 0;
    const command = internalCommand(
      'CreateBackup',
      run.backupId,
      uuidFromName(`schedule-run:${run.backupId}`),
      { volumeId: schedule.volumeId, targetId: schedule.targetId },
      schedule.scheduleId,
      tenant,
      this.clock.now(),
    );
    try {
      await this.createBackup.handle(command);
      this.log.log(`backup schedule ${schedule.scheduleId}: took the run due ${run.dueAt} (backup ${run.backupId})`);
      return 1;
    } catch (error) {
      // Refused (no backup host, target removed): logged, and asked again next tick until the next run replaces it.
      if (!isDomainError(error)) throw error;
      this.log.warn(`backup schedule ${schedule.scheduleId}: the run due ${run.dueAt} was refused: ${error.code}: ${error.message}`);
      return 0;
    }
  }

  /** Only completed backups count: a running one may still fail, and deleting an older one for it would leave fewer than promised. */
  private async applyRetention(schedule: ActiveSchedule, tenant: string | null): Promise<void> {
    const completed: RetainedRun[] = [];
    for (const run of schedule.runs) {
      if ((await this.backups.load(run.backupId)).status === 'completed') {
        completed.push({ id: run.backupId, scheduleId: schedule.scheduleId, dueAt: run.dueAt, takenAt: run.dueAt });
      }
    }
    for (const backupId of runsBeyondRetention(completed, schedule.scheduleId, schedule.retention)) {
      const command = internalCommand('DeleteBackup', backupId, uuidFromName(`schedule-retention:${backupId}`), {}, schedule.scheduleId, tenant, this.clock.now());
      try {
        await this.deleteBackup.handle(command);
        this.log.log(`backup schedule ${schedule.scheduleId}: deleted backup ${backupId}, beyond its retention of ${schedule.retention}`);
      } catch (error) {
        if (!isDomainError(error)) throw error;
        this.log.warn(`backup schedule ${schedule.scheduleId}: backup ${backupId} not deleted: ${error.message}`);
      }
    }
  }

  private async record(scheduleId: string, command: BackupScheduleCommand, meta: CommandMeta, inboxMessageId?: string): Promise<void> {
    await this.runner.execute(backupScheduleDecider, scheduleStreamId(scheduleId), scheduleId, () => command, meta, {
      outboxTopic: this.topics.backupEvents,
      ...(inboxMessageId ? { inbox: { consumer: CONSUMER_GROUP, messageId: inboxMessageId } } : {}),
    });
  }
}
