import type { ObservedEvent } from './observer';
import type { Row } from './report';

/** Outcome events on `topic` of the commands in `sent`, by the command's messageId (their causationId). */
export function outcomesByCommand(events: readonly ObservedEvent[], topic: string, outcomeTypes: ReadonlySet<string>, sent: ReadonlyMap<string, unknown>): Map<string, ObservedEvent[]> {
  const m = new Map<string, ObservedEvent[]>();
  for (const e of events) {
    if (e.topic === topic && e.causationId && outcomeTypes.has(e.type) && sent.has(e.causationId)) m.set(e.causationId, [...(m.get(e.causationId) ?? []), e]);
  }
  return m;
}

export interface OutcomeTally {
  accepted: number;
  rejected: number;
  missing: number;
  /** Commands with two or more distinct outcome events (different event ids): a violation. */
  duplicated: number;
  /** Copies of one outcome event (the same event id): allowed, the relay is at-least-once. */
  redelivered: number;
  readonly failures: Record<string, number>;
  readonly samples: string[];
}

/**
 * Each command's outcome counted: none, one, or several distinct ones. `describe` names a
 * command in the samples; `onFailure` sees each failure outcome's `type:code` (a stream's own
 * rules, such as a refusal the caller did not earn).
 */
export function tallyOutcomes<C>(
  sent: ReadonlyMap<string, C>,
  outcomes: ReadonlyMap<string, readonly ObservedEvent[]>,
  describe: (command: C, messageId: string) => string,
  onFailure?: (command: C, messageId: string, key: string, code: string | undefined) => void,
): OutcomeTally {
  const t: OutcomeTally = { accepted: 0, rejected: 0, missing: 0, duplicated: 0, redelivered: 0, failures: {}, samples: [] };
  for (const [id, command] of sent) {
    const list = outcomes.get(id) ?? [];
    const distinct = new Map(list.map((e) => [e.messageId, e]));
    t.redelivered += list.length - distinct.size;
    if (distinct.size === 0) {
      t.missing++;
      t.samples.push(`no outcome for ${describe(command, id)}`);
      continue;
    }
    if (distinct.size > 1) {
      t.duplicated++;
      t.samples.push(`${distinct.size} outcomes for ${describe(command, id)}: ${[...distinct.values()].map((e) => e.type).join(', ')}`);
    }
    const first = [...distinct.values()][0]!;
    if (first.type === 'CommandRejected') t.rejected++;
    else t.accepted++;
    if (first.type.endsWith('Failed') || first.type === 'CommandRejected') {
      const code = (first.data as { error?: { code?: string } } | undefined)?.error?.code;
      const key = code ? `${first.type}:${code}` : first.type;
      t.failures[key] = (t.failures[key] ?? 0) + 1;
      onFailure?.(command, id, key, code);
    }
  }
  return t;
}

/** The tally's rows, the two invariants flagged. */
export function outcomeRows(t: OutcomeTally): Row[] {
  return [
    { name: 'accepted (an outcome other than CommandRejected)', value: t.accepted },
    { name: 'rejected (CommandRejected)', value: t.rejected },
    { name: 'failure outcomes by type:code', value: JSON.stringify(t.failures) },
    { name: 'commands with no outcome', value: t.missing, violation: t.missing > 0 },
    { name: 'commands with more than one outcome', value: t.duplicated, violation: t.duplicated > 0 },
    { name: 'outcome events seen again (same event id, allowed)', value: t.redelivered },
  ];
}
