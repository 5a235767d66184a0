import { deciderSpec, fold } from '@strata/kernel';
import { runId } from '@strata/scheduling';
import { backupScheduleDecider, type BackupScheduleCommand, type BackupScheduleEvent } from './backup-schedule';

const scheduleId = '2b7c9d1e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const targetId = '0c3a5e7f-1b2d-4e6f-8a9b-c0d1e2f3a4b5';
const spec = deciderSpec(backupScheduleDecider);
const daily = { kind: 'daily' as const, time: '02:30', timeZone: 'Europe/Berlin' };
const now = new Date('2026-03-27T12:00:00.000Z');
const created: BackupScheduleEvent = {
  type: 'BackupScheduleCreated',
  data: { scheduleId, volumeId, targetId, schedule: daily, retention: 2, createdAt: now.toISOString() },
};
const create = (over: Partial<Extract<BackupScheduleCommand, { type: 'CreateBackupSchedule' }>> = {}): BackupScheduleCommand => ({
  type: 'CreateBackupSchedule',
  scheduleId,
  volumeId,
  targetId,
  schedule: daily,
  retention: 2,
  now,
  volume: { deleted: false, status: 'available' },
  targetExists: true,
  ...over,
});
const ran = (dueAt: string): BackupScheduleEvent => ({
  type: 'BackupScheduleRunRecorded',
  data: { scheduleId, dueAt, backupId: runId(scheduleId, new Date(dueAt)) },
});
const tick = (iso: string): BackupScheduleCommand => ({ type: 'TakeDueRun', now: new Date(iso) });

describe('backup schedule decider', () => {
  it('records a schedule with its rules checked and its creation time', () => {
    spec.given([]).when(create()).then([created]);
  });

  it('normalises the schedule (a day name becomes its number)', () => {
    const [event] = backupScheduleDecider.decide(create({ schedule: { kind: 'weekly', dayOfWeek: 'monday', time: '03:00', timeZone: 'UTC' } }), { status: 'absent' });
    expect(event.data).toMatchObject({ schedule: { kind: 'weekly', dayOfWeek: 1, time: '03:00', timeZone: 'UTC' } });
  });

  it('refuses a bad schedule and retention at once, each violation named data.schedule.<field> or data.retention (schedule.invalid)', () => {
    let caught: { code?: string; category?: string; details?: { violations?: { field: string; rule: string }[] } } | undefined;
    try {
      backupScheduleDecider.decide(create({ schedule: { kind: 'daily', time: '25:00', timeZone: 'Mars/Olympus' }, retention: 0 }), { status: 'absent' });
    } catch (error) {
      caught = error as typeof caught;
    }
    expect(caught).toMatchObject({ code: 'schedule.invalid', category: 'validation' });
    expect(caught?.details?.violations?.map((v) => `${v.field}:${v.rule}`)).toEqual(
      expect.arrayContaining(['data.schedule.time:isTimeOfDay', 'data.schedule.timeZone:isTimeZone', 'data.retention:min']),
    );
    spec.given([]).when(create({ schedule: 'daily' })).thenThrows('schedule.invalid');
  });

  it('refuses an unknown or deleted volume and an unknown target, naming the field', () => {
    spec.given([]).when(create({ volume: null })).thenThrows('backup.volume_not_found');
    spec.given([]).when(create({ volume: { deleted: true, status: 'deleted' } })).thenThrows('backup.volume_not_found');
    spec.given([]).when(create({ targetExists: false })).thenThrows('backup.target_not_found');
    spec.given([created]).when(create()).thenThrows('backupschedule.already_exists');
  });

  it('takes no run before the first due time, then the due run with the backup id derived from schedule and due time, once', () => {
    spec.given([created]).when(tick('2026-03-28T00:00:00.000Z')).then([]);
    // 28 March 02:30 in Berlin is 01:30 UTC (winter time).
    spec.given([created]).when(tick('2026-03-28T01:31:00.000Z')).then([ran('2026-03-28T01:30:00.000Z')]);
    spec.given([created, ran('2026-03-28T01:30:00.000Z')]).when(tick('2026-03-28T05:00:00.000Z')).then([]);
  });

  it('after downtime takes the newest missed run once, not one per missed day', () => {
    spec.given([created, ran('2026-03-28T01:30:00.000Z')]).when(tick('2026-03-31T09:00:00.000Z')).then([ran('2026-03-31T00:30:00.000Z')]);
  });

  it('keeps every run (for retention); deleted, it takes none and refuses a second delete', () => {
    const deleted: BackupScheduleEvent = { type: 'BackupScheduleDeleted', data: { scheduleId } };
    const state = fold(backupScheduleDecider, [created, ran('2026-03-28T01:30:00.000Z'), ran('2026-03-31T00:30:00.000Z'), deleted]);
    expect(state).toMatchObject({ status: 'deleted', runs: [{ dueAt: '2026-03-28T01:30:00.000Z' }, { dueAt: '2026-03-31T00:30:00.000Z' }] });
    spec.given([created, deleted]).when(tick('2026-04-30T09:00:00.000Z')).then([]);
    spec.given([created]).when({ type: 'DeleteBackupSchedule', scheduleId }).then([deleted]);
    spec.given([created, deleted]).when({ type: 'DeleteBackupSchedule', scheduleId }).thenThrows('backupschedule.deleted');
    spec.given([]).when({ type: 'DeleteBackupSchedule', scheduleId }).thenThrows('backupschedule.not_found');
  });
});
