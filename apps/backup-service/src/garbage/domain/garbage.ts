import { assertUnreachable, DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type { BackupGarbageCollected, BackupGarbageCollectionFailed, ErrorInfo } from '@strata/contracts';
import { BackupTargetErrors } from '../../targets/domain/backup-target';

/**
 * Garbage collection of a target's chunks (stream garbage-<targetId>): a chunk is garbage when
 * no manifest on the target lists it, and it is deleted only once it is older than the grace
 * period, because a backup writes its chunks before its manifest.
 */

export interface ChunkAge {
  readonly id: string;
  readonly modifiedAt: Date;
}

export interface GarbageSelection {
  /** Listed by some manifest. */
  readonly kept: readonly string[];
  /** Listed by none and older than the grace period: to delete. */
  readonly garbage: readonly string[];
  /** Listed by none but younger than the grace period (a backup may be writing them): left for a later round. */
  readonly tooYoung: readonly string[];
}

/** Sorts every stored chunk into kept, garbage and too young. Exactly at the grace period counts as old enough. */
export function selectGarbage(chunks: readonly ChunkAge[], referenced: ReadonlySet<string>, now: Date, graceMs: number): GarbageSelection {
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new RangeError(`graceMs must be a non-negative number, got ${graceMs}`);
  const kept: string[] = [];
  const garbage: string[] = [];
  const tooYoung: string[] = [];
  for (const chunk of chunks) {
    if (referenced.has(chunk.id)) kept.push(chunk.id);
    else if (now.getTime() - chunk.modifiedAt.getTime() >= graceMs) garbage.push(chunk.id);
    else tooYoung.push(chunk.id);
  }
  return { kept, garbage, tooYoung };
}

export type GarbageEvent =
  | { type: 'BackupGarbageCollected'; data: BackupGarbageCollected }
  | { type: 'BackupGarbageCollectionFailed'; data: BackupGarbageCollectionFailed };

export type GarbageState = { readonly rounds: number; readonly last: GarbageEvent | null };

export type GarbageCommand =
  | {
      readonly type: 'RecordCollection';
      readonly targetId: string;
      readonly targetExists: boolean;
      readonly manifests: number;
      readonly selection: GarbageSelection;
    }
  | { readonly type: 'RecordCollectionFailed'; readonly targetId: string; readonly targetExists: boolean; readonly error: ErrorInfo };

export const GARBAGE_STREAM_PREFIX = 'garbage-';
export const garbageStreamId = (targetId: string) => `${GARBAGE_STREAM_PREFIX}${targetId}`;

export const GarbageErrors = {
  /** This installation is backing up to the target: a running backup may count on an old chunk no manifest lists yet. */
  targetBusy: (targetId: string, running: number) =>
    new DomainError('backup.target_busy', ErrorCategory.IllegalState, `backup target ${targetId} has ${running} backup(s) running: collect its garbage once they end`, {
      targetId,
      running,
      violations: [{ field: 'aggregateId', rule: 'idle', message: `${running} backup(s) are running on target ${targetId}` }],
    }),
};

/** A removed or unknown target has nothing to collect. */
export function checkCollectable(targetId: string, targetExists: boolean): void {
  if (!targetExists) throw BackupTargetErrors.notFound(targetId);
}

export const garbageDecider: Decider<GarbageState, GarbageCommand, GarbageEvent> = {
  initialState: () => ({ rounds: 0, last: null }),

  decide(command) {
    checkCollectable(command.targetId, command.targetExists);
    switch (command.type) {
      case 'RecordCollection': {
        const s = command.selection;
        return [
          {
            type: 'BackupGarbageCollected',
            data: { targetId: command.targetId, manifests: command.manifests, chunksKept: s.kept.length, chunksDeleted: s.garbage.length, chunksTooYoung: s.tooYoung.length },
          },
        ];
      }
      case 'RecordCollectionFailed':
        return [{ type: 'BackupGarbageCollectionFailed', data: { targetId: command.targetId, error: command.error } }];
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    return { rounds: state.rounds + 1, last: event };
  },
};
