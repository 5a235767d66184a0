import { assertUnreachable, DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type {
  ErrorInfo,
  OrphanRemovalFailed,
  OrphanRemovalRequested,
  OrphanRemoved,
  PoolDriftCleared,
  PoolDriftDetected,
} from '@strata/contracts';

/**
 * A pool's drift record (stream drift-<poolId>): what the last reconciliation found, and
 * the orphan removals asked for. Kept apart from the pool stream so that a reconciliation
 * never races a pool command for the pool's version.
 */
export type DriftEvent =
  | { type: 'PoolDriftDetected'; data: PoolDriftDetected }
  | { type: 'PoolDriftCleared'; data: PoolDriftCleared }
  | { type: 'OrphanRemovalRequested'; data: OrphanRemovalRequested }
  | { type: 'OrphanRemoved'; data: OrphanRemoved }
  | { type: 'OrphanRemovalFailed'; data: OrphanRemovalFailed };

export type Orphan = PoolDriftDetected['orphans'][number];
export type MissingVolume = PoolDriftDetected['missing'][number];

export interface DriftFindings {
  readonly orphans: readonly Orphan[];
  readonly missing: readonly MissingVolume[];
}

export interface DriftState {
  readonly poolId: string | null;
  /** The drift last recorded; null when none was, or the last record cleared it. */
  readonly last: DriftFindings | null;
  /** Backend names whose removal was asked for and has no outcome yet (recovery finishes them). */
  readonly removing: readonly string[];
}

/** What the handler found about one backend name just now, for RemoveOrphan and ManageVolume. */
export interface OrphanCheck {
  readonly poolId: string;
  readonly backendName: string;
  /** The backend lists it now and no volume owns it. */
  readonly orphanKnown: boolean;
  /** The volume whose backend object it is, when one is (then it is never an orphan). */
  readonly ownerVolumeId: string | null;
}

export type DriftCommand =
  | {
      readonly type: 'RecordReconciliation';
      readonly poolId: string;
      readonly orphans: readonly Orphan[];
      readonly missing: readonly MissingVolume[];
      /** Asked for by a ReconcilePool command: record the finding even if unchanged, so its job ends. */
      readonly onDemand: boolean;
    }
  | ({ readonly type: 'RemoveOrphan' } & OrphanCheck)
  | { readonly type: 'RecordOrphanRemoved'; readonly poolId: string; readonly backendName: string }
  | { readonly type: 'RecordOrphanRemovalFailed'; readonly poolId: string; readonly backendName: string; readonly error: ErrorInfo };

export const DriftErrors = {
  orphanOwned: (poolId: string, backendName: string, volumeId: string) =>
    new DomainError(
      'drift.orphan_owned',
      ErrorCategory.Conflict,
      `backend object ${backendName} on storage pool ${poolId} belongs to volume ${volumeId}: it is not an orphan`,
      { poolId, backendName, volumeId },
    ),
  orphanUnknown: (poolId: string, backendName: string) =>
    new DomainError(
      'drift.orphan_unknown',
      ErrorCategory.NotFound,
      `backend object ${backendName} is not among the orphans last reported for storage pool ${poolId}: reconcile the pool first`,
      { poolId, backendName },
    ),
  orphanGone: (poolId: string, backendName: string) =>
    new DomainError(
      'drift.orphan_gone',
      ErrorCategory.NotFound,
      `backend object ${backendName} is no longer an orphan on storage pool ${poolId}: the backend does not list it now`,
      { poolId, backendName },
    ),
  removalInProgress: (poolId: string, backendName: string) =>
    new DomainError(
      'drift.orphan_removal_in_progress',
      ErrorCategory.Conflict,
      `backend object ${backendName} on storage pool ${poolId} is already being removed`,
      { poolId, backendName },
    ),
  noRemovalPending: (poolId: string, backendName: string) =>
    new DomainError(
      'drift.no_removal_pending',
      ErrorCategory.IllegalState,
      `no removal of backend object ${backendName} on storage pool ${poolId} is under way`,
      { poolId, backendName },
    ),
};

/**
 * The rule both RemoveOrphan and ManageVolume obey: the name must be an orphan the last
 * reconciliation reported, still one on the backend now, owned by no volume, and not
 * already being removed. Nothing is deleted or adopted on weaker evidence.
 */
export function assertCurrentOrphan(state: DriftState, check: OrphanCheck): void {
  if (check.ownerVolumeId !== null) throw DriftErrors.orphanOwned(check.poolId, check.backendName, check.ownerVolumeId);
  if (state.removing.includes(check.backendName)) throw DriftErrors.removalInProgress(check.poolId, check.backendName);
  if (!state.last?.orphans.some((o) => o.backendName === check.backendName)) {
    throw DriftErrors.orphanUnknown(check.poolId, check.backendName);
  }
  if (!check.orphanKnown) throw DriftErrors.orphanGone(check.poolId, check.backendName);
}

const byName = <T extends { backendName: string }>(list: readonly T[]) =>
  [...list].sort((a, b) => (a.backendName < b.backendName ? -1 : a.backendName > b.backendName ? 1 : 0));

/** The same findings in a canonical order, so that two reconciliations compare by content. */
function canonical(findings: DriftFindings): DriftFindings {
  return {
    orphans: byName(findings.orphans).map((o) => ({ backendName: o.backendName, sizeBytes: o.sizeBytes })),
    missing: byName(findings.missing).map((m) => ({ volumeId: m.volumeId, backendName: m.backendName })),
  };
}

const sameFindings = (a: DriftFindings, b: DriftFindings) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

export const driftDecider: Decider<DriftState, DriftCommand, DriftEvent> = {
  initialState: () => ({ poolId: null, last: null, removing: [] }),

  decide(command, state) {
    switch (command.type) {
      case 'RecordReconciliation': {
        const found = canonical(command);
        const poolId = command.poolId;
        if (found.orphans.length > 0 || found.missing.length > 0) {
          // A periodic round that finds what was already reported adds nothing to the log.
          if (!command.onDemand && state.last && sameFindings(state.last, found)) return [];
          return [{ type: 'PoolDriftDetected', data: { poolId, ...found } }];
        }
        if (!command.onDemand && state.last === null) return [];
        return [{ type: 'PoolDriftCleared', data: { poolId } }];
      }
      case 'RemoveOrphan': {
        assertCurrentOrphan(state, command);
        return [{ type: 'OrphanRemovalRequested', data: { poolId: command.poolId, backendName: command.backendName } }];
      }
      case 'RecordOrphanRemoved': {
        if (!state.removing.includes(command.backendName)) throw DriftErrors.noRemovalPending(command.poolId, command.backendName);
        return [{ type: 'OrphanRemoved', data: { poolId: command.poolId, backendName: command.backendName } }];
      }
      case 'RecordOrphanRemovalFailed': {
        if (!state.removing.includes(command.backendName)) throw DriftErrors.noRemovalPending(command.poolId, command.backendName);
        return [
          { type: 'OrphanRemovalFailed', data: { poolId: command.poolId, backendName: command.backendName, error: command.error } },
        ];
      }
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    const poolId = event.data.poolId;
    switch (event.type) {
      case 'PoolDriftDetected':
        return { ...state, poolId, last: { orphans: event.data.orphans, missing: event.data.missing } };
      case 'PoolDriftCleared':
        return { ...state, poolId, last: null };
      case 'OrphanRemovalRequested':
        return { ...state, poolId, removing: [...state.removing, event.data.backendName] };
      case 'OrphanRemoved': {
        const name = event.data.backendName;
        // The removed object leaves the report; an empty report still differs from "cleared",
        // so the next reconciliation says so in the log.
        const last = state.last && { ...state.last, orphans: state.last.orphans.filter((o) => o.backendName !== name) };
        return { ...state, poolId, last, removing: state.removing.filter((n) => n !== name) };
      }
      case 'OrphanRemovalFailed':
        return { ...state, poolId, removing: state.removing.filter((n) => n !== event.data.backendName) };
      default:
        return assertUnreachable(event);
    }
  },
};

export const driftStreamId = (poolId: string) => `drift-${poolId}`;
