import type { FieldViolation } from '@strata/kernel';

/** What retention needs to know of a snapshot of the volume. */
export interface RetainedSnapshot {
  readonly snapshotId: string;
  /** The policy whose run took it; null for a manual snapshot. */
  readonly policyId: string | null;
  /** ISO 8601 instant the snapshot was taken, with Z or an offset. */
  readonly takenAt: string;
  /** ISO 8601 due time of the policy run that took it, with Z or an offset; null for a manual snapshot. */
  readonly dueAt: string | null;
}

/** Checks a policy's retention count: an integer of at least 1 (a policy that keeps nothing would delete what it just took). */
export function checkRetention(value: unknown, field = 'retention'): FieldViolation[] {
  if (value === undefined) return [{ field, rule: 'isDefined', message: `${field} is required (how many of the policy's snapshots to keep)` }];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return [{ field, rule: 'isInt', message: `${field} must be an integer (how many snapshots to keep), got ${String(value)}` }];
  }
  if (value < 1) return [{ field, rule: 'min', message: `${field} must be at least 1, got ${value}` }];
  return [];
}

/**
 * The ids of the policy's own snapshots beyond its retention count, oldest first. Age is the
 * run's due time as an instant, not text: during a DST fall-back the same local hour comes
 * twice, and ISO strings with different offsets do not sort as the instants they name. Manual
 * snapshots and other policies' snapshots are never returned.
 */
export function snapshotsToDelete(snapshots: readonly RetainedSnapshot[], policyId: string, retention: number): string[] {
  if (checkRetention(retention).length > 0) throw new RangeError(`retention must be an integer of at least 1, got ${retention}`);
  const own = snapshots
    .filter((s) => s.policyId === policyId)
    .map((s) => ({ id: s.snapshotId, due: instant(s.dueAt, s, 'dueAt'), taken: instant(s.takenAt, s, 'takenAt') }))
    // Newest first; equal due times cannot come from distinct runs, but still sort deterministically.
    .sort((a, b) => b.due - a.due || b.taken - a.taken || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return own
    .slice(retention)
    .reverse()
    .map((s) => s.id);
}

/** An explicit offset is required: without one, Date.parse reads local time, which depends on the host's TZ. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(iso: string | null, snapshot: RetainedSnapshot, name: 'dueAt' | 'takenAt'): number {
  const ms = iso !== null && ISO_INSTANT.test(iso) ? Date.parse(iso) : NaN;
  // A policy's snapshot without a readable time is a broken record; guessing its age could delete the wrong one.
  if (Number.isNaN(ms)) {
    throw new RangeError(`snapshot ${snapshot.snapshotId} of policy ${snapshot.policyId} has no ISO 8601 ${name} with an offset: ${String(iso)}`);
  }
  return ms;
}
