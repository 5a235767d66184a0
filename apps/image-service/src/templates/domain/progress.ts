/** The last progress event published for a transfer. */
export interface ProgressMark {
  readonly percent: number | null;
  readonly at: number;
}

/** Without a known total, how often progress is told. */
const UNKNOWN_TOTAL_EVERY_MS = 10_000;
const MIN_GAP_MS = 1_000;

/**
 * Whether a transfer's progress is worth an event now: at most one per tenth of the total,
 * and never more than one a second (a fast local download would otherwise flood the log).
 * `final`: the transfer ended; it is told unless told less than a second ago.
 */
export function progressDue(last: ProgressMark | null, percent: number | null, now: number, final = false): boolean {
  if (last && now - last.at < MIN_GAP_MS) return false;
  if (final) return last?.percent !== 100;
  if (percent === null) return last === null ? false : now - last.at >= UNKNOWN_TOTAL_EVERY_MS;
  return percent >= (last?.percent ?? 0) + 10;
}
