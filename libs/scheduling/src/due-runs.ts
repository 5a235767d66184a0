import { uuidFromName } from '@strata/kernel';
import { scheduleCrons, type Schedule } from './schedule';

/**
 * The first due time strictly after `after` (a run exactly at `after` is the one already
 * known, so it is not returned again). Due times are whole minutes; milliseconds in `after`
 * do not matter.
 */
export function nextDue(schedule: Schedule, after: Date): Date {
  assertDate(after, 'after');
  const candidates = scheduleCrons(schedule)
    .map((cron) => cron.nextRun(after))
    .filter((date): date is Date => date !== null);
  // Croner returns null only past year 9999 or for a one-off date; neither is a schedule.
  if (candidates.length === 0) throw new Error(`schedule ${JSON.stringify(schedule)} has no due time after ${after.toISOString()}`);
  return new Date(Math.min(...candidates.map((d) => d.getTime())));
}

/**
 * The single run to take now: the latest due time in (max(lastRunDueAt, createdAt), now],
 * or null. After downtime that missed several slots this is only the most recent one (one
 * catch-up, not a burst); a slot already taken (<= lastRunDueAt) is never returned again; a
 * slot exactly at the schedule's creation is not taken (the window is open on the left).
 */
export function dueRun(schedule: Schedule, lastRunDueAt: Date | null, createdAt: Date, now: Date): Date | null {
  assertDate(createdAt, 'createdAt');
  assertDate(now, 'now');
  if (lastRunDueAt !== null) assertDate(lastRunDueAt, 'lastRunDueAt');
  const floor = Math.max(lastRunDueAt?.getTime() ?? -Infinity, createdAt.getTime());
  // Croner's previousRuns is exclusive of its reference, so +1 ms makes `now` itself count
  // (due times are whole seconds, so nothing in between can be missed).
  const reference = new Date(now.getTime() + 1);
  const latest = Math.max(
    ...scheduleCrons(schedule).map((cron) => cron.previousRuns(1, reference)[0]?.getTime() ?? -Infinity),
  );
  return latest > floor && latest <= now.getTime() ? new Date(latest) : null;
}

/**
 * Namespace of run ids (a fixed random UUID; changing it would change every run id and so
 * let a restart take a run twice).
 */
export const RUN_ID_NAMESPACE = '8fcb8d9f-3c56-4d8b-a8ac-89fa0ad4a837';

/**
 * The id of a schedule's run at `dueAt`: a UUID v5 of "<scheduleId>@<dueAt in UTC ISO>",
 * so every instance and every restart computes the same id, and the two runs of a repeated
 * local hour (DST fall-back) still get two ids (their UTC instants differ).
 */
export function runId(scheduleId: string, dueAt: Date): string {
  assertDate(dueAt, 'dueAt');
  return uuidFromName(`${scheduleId}@${dueAt.toISOString()}`, RUN_ID_NAMESPACE);
}

function assertDate(value: Date, name: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new RangeError(`${name} must be a valid Date`);
}
