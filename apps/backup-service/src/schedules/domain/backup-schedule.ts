import { assertUnreachable, DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type { BackupScheduleCreated, BackupScheduleDeleted, BackupScheduleRunRecorded } from '@strata/contracts';
import { checkRetention, checkSchedule, dueRun, runId, ScheduleErrors, type Schedule } from '@strata/scheduling';
import { BackupErrors } from '../../backups/domain/backup.errors';

/**
 * A backup schedule (stream schedule-<scheduleId>): a volume backed up to a target on a
 * schedule in a time zone, keeping `retention` of its completed backups. Each run is recorded
 * with the id of the backup it asks for, derived from the schedule and the due time, before
 * the backup is asked for: whoever takes the run (a restart, another instance) asks for the
 * same backup, and a run already recorded is never taken again. After downtime the newest
 * missed slot is taken once, not each missed one (libs/scheduling).
 */

export type BackupScheduleEvent =
  | { type: 'BackupScheduleCreated'; data: BackupScheduleCreated }
  | { type: 'BackupScheduleRunRecorded'; data: BackupScheduleRunRecorded }
  | { type: 'BackupScheduleDeleted'; data: BackupScheduleDeleted };

export interface ScheduleRun {
  readonly dueAt: string;
  readonly backupId: string;
}

export type BackupScheduleState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active' | 'deleted';
      readonly scheduleId: string;
      readonly volumeId: string;
      readonly targetId: string;
      readonly schedule: Schedule;
      readonly retention: number;
      readonly createdAt: string;
      /** Every run recorded, oldest first: retention picks among their backups. */
      readonly runs: readonly ScheduleRun[];
    };

export type BackupScheduleCommand =
  | {
      readonly type: 'CreateBackupSchedule';
      readonly scheduleId: string;
      readonly volumeId: string;
      readonly targetId: string;
      /** Untrusted: the decider checks them. */
      readonly schedule: unknown;
      readonly retention: unknown;
      /** The service's clock: runs are due only after it. */
      readonly now: Date;
      /** What the handler found: the volume in the view (null: never seen), whether the target is active. */
      readonly volume: { readonly deleted: boolean; readonly status: string } | null;
      readonly targetExists: boolean;
    }
  | { readonly type: 'DeleteBackupSchedule'; readonly scheduleId: string }
  /** The scheduler's tick: records the run due now, if one is. */
  | { readonly type: 'TakeDueRun'; readonly now: Date };

export const SCHEDULE_STREAM_PREFIX = 'schedule-';
export const scheduleStreamId = (scheduleId: string) => `${SCHEDULE_STREAM_PREFIX}${scheduleId}`;

export const BackupScheduleErrors = {
  alreadyExists: (scheduleId: string) =>
    new DomainError('backupschedule.already_exists', ErrorCategory.Conflict, `backup schedule ${scheduleId} exists already`, {
      scheduleId,
      violations: [{ field: 'aggregateId', rule: 'new', message: `backup schedule ${scheduleId} exists already: use a new id` }],
    }),
  notFound: (scheduleId: string) =>
    new DomainError('backupschedule.not_found', ErrorCategory.NotFound, `backup schedule ${scheduleId} does not exist`, {
      scheduleId,
      violations: [{ field: 'aggregateId', rule: 'exists', message: `backup schedule ${scheduleId} does not exist` }],
    }),
  deleted: (scheduleId: string) =>
    new DomainError('backupschedule.deleted', ErrorCategory.Conflict, `backup schedule ${scheduleId} is deleted already`, { scheduleId }),
};

function create(c: Extract<BackupScheduleCommand, { type: 'CreateBackupSchedule' }>, state: BackupScheduleState): BackupScheduleEvent[] {
  if (state.status !== 'absent') throw BackupScheduleErrors.alreadyExists(c.scheduleId);
  const checked = checkSchedule(c.schedule, 'data.schedule');
  const violations = [...(checked.ok ? [] : checked.violations), ...checkRetention(c.retention, 'data.retention')];
  if (violations.length > 0) throw ScheduleErrors.invalid(violations, 'backup schedule');
  const v = c.volume;
  if (!v || v.deleted || v.status === 'deleted' || v.status === 'failed') throw BackupErrors.volumeNotFound(c.volumeId);
  if (!c.targetExists) throw BackupErrors.targetNotFound(c.targetId);
  const schedule = (checked as { schedule: Schedule }).schedule;
  return [
    {
      type: 'BackupScheduleCreated',
      data: { scheduleId: c.scheduleId, volumeId: c.volumeId, targetId: c.targetId, schedule: { ...schedule }, retention: c.retention as number, createdAt: c.now.toISOString() },
    },
  ];
}

export const backupScheduleDecider: Decider<BackupScheduleState, BackupScheduleCommand, BackupScheduleEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateBackupSchedule':
        return create(command, state);
      case 'DeleteBackupSchedule':
        if (state.status === 'absent') throw BackupScheduleErrors.notFound(command.scheduleId);
        if (state.status === 'deleted') throw BackupScheduleErrors.deleted(state.scheduleId);
        return [{ type: 'BackupScheduleDeleted', data: { scheduleId: state.scheduleId } }];
      case 'TakeDueRun': {
        if (state.status !== 'active') return [];
        const last = state.runs.length ? new Date(state.runs[state.runs.length - 1].dueAt) : null;
        const due = dueRun(state.schedule, last, new Date(state.createdAt), command.now);
        if (!due) return [];
        return [{ type: 'BackupScheduleRunRecorded', data: { scheduleId: state.scheduleId, dueAt: due.toISOString(), backupId: runId(state.scheduleId, due) } }];
      }
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'BackupScheduleCreated': {
        const d = event.data;
        return {
          status: 'active',
          scheduleId: d.scheduleId,
          volumeId: d.volumeId,
          targetId: d.targetId,
          schedule: d.schedule as unknown as Schedule,
          retention: d.retention,
          createdAt: d.createdAt,
          runs: [],
        };
      }
      case 'BackupScheduleRunRecorded':
        return state.status === 'absent' ? state : { ...state, runs: [...state.runs, { dueAt: event.data.dueAt, backupId: event.data.backupId }] };
      case 'BackupScheduleDeleted':
        return state.status === 'absent' ? state : { ...state, status: 'deleted' };
      default:
        return assertUnreachable(event);
    }
  },
};
