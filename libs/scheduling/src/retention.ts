import type { FieldViolation } from '@strata/kernel';

/** What retention needs to know of one thing a schedule made (a snapshot, a backup), or of a manual one. */
export interface RetainedRun {
  readonly id: string;
  /** The schedule whose run made it; null for a manual one. */
  readonly scheduleId: string | null;
  /** ISO 8601 instant it was made, with Z or an offset. */
  readonly takenAt: string;
  /** ISO 8601 due time of the run that made it, with Z or an offset; null for a manual one. */
  readonly dueAt: string | null;
}

/** Checks a retention count: an integer of at least 1 (a schedule that keeps nothing would delete what it just made). */
export function checkRetention(value: unknown, field = 'retention'): FieldViolation[] {
  if (value === undefined) return [{ field, rule: 'isDefined', message: `${field} is required (how many of the schedule's runs to keep)` }];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return [{ field, rule: 'isInt', message: `${field} must be an integer (how many runs to keep), got ${String(value)}` }];
  }
  if (value < 1) return [{ field, rule: 'min', message: `${field} must be at least 1, got ${value}` }];
  return [];
}

/**
 * The ids of the schedule's own runs beyond its retention count, oldest first. Age is the
 * run's due time as an instant, not text: during a DST fall-back the same local hour comes
 * twice, and ISO strings with different offsets do not sort as the instants they name. Manual
 * runs and other schedules' runs are never returned.
 */
export function runsBeyondRetention(runs: readonly RetainedRun[], scheduleId: string, retention: number): string[] {
  if (checkRetention(retention).length > 0) throw new RangeError(`retention must be an integer of at least 1, got ${retention}`);
  const own = runs
    .filter((r) => r.scheduleId === scheduleId)
    .map((r) => ({ id: r.id, due: instant(r.dueAt, r, 'dueAt'), taken: instant(r.takenAt, r, 'takenAt') }))
    // Newest first; equal due times cannot come from distinct runs, but still sort deterministically.
    .sort((a, b) => b.due - a.due || b.taken - a.taken || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return own
    .slice(retention)
    .reverse()
    .map((r) => r.id);
}

/** An explicit offset is required: without one, Date.parse reads local time, which depends on the host's TZ. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(iso: string | null, run: RetainedRun, name: 'dueAt' | 'takenAt'): number {
  const ms = iso !== null && ISO_INSTANT.test(iso) ? Date.parse(iso) : NaN;
  // A scheduled run without a readable time is a broken record; guessing its age could delete the wrong one.
  if (Number.isNaN(ms)) throw new RangeError(`run ${run.id} of schedule ${run.scheduleId} has no ISO 8601 ${name} with an offset: ${String(iso)}`);
  return ms;
}
