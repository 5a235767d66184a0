import type { ErrorInfo } from '@strata/contracts';

/**
 * An event of the storage or snapshot service (or a CommandRejected answering one of our
 * commands), as a backup or restore is told of it. Which step it answers is decided by the
 * aggregate's decider: by the command id it was caused by, or by the step's aggregate.
 */
export interface StepOutcome {
  /** The other service's event type: VolumeCreated, SnapshotCreationFailed, CommandRejected, ... */
  readonly event: string;
  /** The event's causationId: our command's id when the other service names its cause. */
  readonly causationId: string | null;
  readonly aggregateId: string;
  /** For CommandRejected: the id of the command it refuses. */
  readonly commandId?: string;
  /** For VolumeAttached. */
  readonly hostId?: string;
  readonly devicePath?: string;
  readonly error?: ErrorInfo;
}

/** A command sent for a step (its id and aggregate), waiting for its outcome. */
export interface PendingStep<S extends string> {
  readonly step: S;
  readonly commandId: string;
  readonly aggregateId: string;
}

/** The event types that end each kind of command, as success or failure. */
const ENDS = {
  CreateSnapshot: { ok: ['SnapshotCreated'], failed: ['SnapshotCreationFailed'] },
  DeleteSnapshot: { ok: ['SnapshotDeleted'], failed: ['SnapshotDeletionFailed'] },
  CreateVolume: { ok: ['VolumeCreated'], failed: ['VolumeCreationFailed'] },
  AttachVolume: { ok: ['VolumeAttached'], failed: ['VolumeAttachFailed'] },
  DetachVolume: { ok: ['VolumeDetached'], failed: ['VolumeDetachFailed'] },
  DeleteVolume: { ok: ['VolumeDeleted'], failed: ['VolumeDeletionFailed'] },
} as const;
export type StepCommandType = keyof typeof ENDS;

/** What an outcome means for the pending step: null when it answers another step (stale, or someone else's). */
export type Verdict = 'ok' | 'failed' | 'rejected' | null;

/** byAggregate: whether the step's aggregate is ours alone (a derived volume or snapshot), so its events are ours even without a cause. */
export function verdictOf(pending: PendingStep<string> | null, command: StepCommandType, outcome: StepOutcome, byAggregate = true): Verdict {
  if (!pending) return null;
  if (outcome.event === 'CommandRejected') return outcome.commandId === pending.commandId ? 'rejected' : null;
  const ends = ENDS[command];
  const ok = (ends.ok as readonly string[]).includes(outcome.event);
  if (!ok && !(ends.failed as readonly string[]).includes(outcome.event)) return null;
  // By cause when the other service names it; else by the step's aggregate (the derived volume or snapshot).
  if (outcome.causationId !== pending.commandId && !(byAggregate && outcome.aggregateId === pending.aggregateId)) return null;
  return ok ? 'ok' : 'failed';
}

export function reasonOf(outcome: StepOutcome, what: string): ErrorInfo {
  return outcome.error ?? { code: 'backup.step_failed', category: 'backend', message: `${what} failed (${outcome.event})` };
}

/** Codes of a refused DeleteVolume/DeleteSnapshot/DetachVolume that mean there is nothing left to undo. */
export const NOTHING_TO_UNDO = new Set(['volume.not_found', 'snapshot.not_found', 'volume.not_attached']);

/** The attach step succeeded but named no device to read or write: the process winds down with this. */
export const NO_DEVICE: ErrorInfo = { code: 'backup.no_device', category: 'backend', message: 'VolumeAttached named no devicePath' };

/** Progress is kept by the tenth it last reported. */
export const tenthOf = (percent: number): number => Math.floor(percent / 10) * 10;

/** The percent to report for the bytes written so far, or null when it is no new tenth (so at most every tenth is reported) or the total is unknown. */
export function newProgress(bytesDone: number, bytesTotal: number, progressed: number): number | null {
  if (bytesTotal <= 0) return null;
  const percent = Math.min(100, Math.floor((bytesDone * 100) / bytesTotal));
  return tenthOf(percent) <= progressed ? null : percent;
}

/** A step's command is sent: the process waits for its outcome; the first failure is kept, as the one the process ends with. */
export function stepPending<S extends string>(
  d: { readonly step: S; readonly commandId: string; readonly aggregateId: string; readonly failure?: ErrorInfo },
  failure: ErrorInfo | null,
): { stage: S; pending: PendingStep<S>; failure: ErrorInfo | null } {
  return { stage: d.step, pending: { step: d.step, commandId: d.commandId, aggregateId: d.aggregateId }, failure: failure ?? d.failure ?? null };
}

/** The volume is attached to the backup host: the data stage, nothing pending. */
export function dataStage(d: { readonly hostId: string; readonly devicePath: string }): { stage: 'data'; pending: null; attached: { hostId: string; devicePath: string } } {
  return { stage: 'data', pending: null, attached: { hostId: d.hostId, devicePath: d.devicePath } };
}

/** Completed or failed: no step, nothing pending, nothing attached. */
export const ENDED = { stage: null, pending: null, attached: null } as const;
