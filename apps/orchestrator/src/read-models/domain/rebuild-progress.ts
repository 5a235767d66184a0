import type { PartitionRange } from '../../projection/domain/generation';

/** "topic:partition" -> the next offset the group will read (its committed offset); absent: nothing committed yet. */
export type CommittedOffsets = Readonly<Record<string, number>>;

/** Events a rebuild replays: every partition from its low watermark to its end when the rebuild started. */
export function eventsToReplay(ends: Readonly<Record<string, PartitionRange>>): number {
  return Object.values(ends).reduce((n, r) => n + Math.max(0, r.high - r.low), 0);
}

/** Events of that range the new group has consumed (and committed) so far. */
export function eventsReplayed(ends: Readonly<Record<string, PartitionRange>>, committed: CommittedOffsets): number {
  let n = 0;
  for (const [key, r] of Object.entries(ends)) {
    const at = committed[key];
    if (at === undefined || at < 0) continue;
    n += Math.min(Math.max(0, at - r.low), Math.max(0, r.high - r.low));
  }
  return n;
}

/** Whether the new group has reached, on every partition, the end the rebuild started with. */
export function caughtUp(ends: Readonly<Record<string, PartitionRange>>, committed: CommittedOffsets): boolean {
  return Object.entries(ends).every(([key, r]) => r.high <= r.low || (committed[key] ?? -1) >= r.high);
}

/** Whole percent done; an empty replay is done. */
export function percentDone(replayed: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.floor((replayed * 100) / total));
}

/**
 * Messages not yet consumed, per topic: each partition's end now minus the group's committed
 * offset (the low watermark where it committed nothing yet, as a new group starts there).
 */
export function lagByTopic(now: Readonly<Record<string, PartitionRange>>, committed: CommittedOffsets): Record<string, number> {
  const lag: Record<string, number> = {};
  for (const [key, r] of Object.entries(now)) {
    const topic = key.slice(0, key.lastIndexOf(':'));
    const at = committed[key];
    const from = at === undefined || at < 0 ? r.low : at;
    lag[topic] = (lag[topic] ?? 0) + Math.max(0, r.high - from);
  }
  return lag;
}
