import { DomainError, ErrorCategory } from '@strata/kernel';

/**
 * Every refusal of a snapshot command, with its stable code. Codes travel in
 * CommandRejected and jobs, so they are never renamed; new ones are added.
 */
export const SnapshotErrors = {
  alreadyExists: (snapshotId: string) =>
    new DomainError('snapshot.already_exists', ErrorCategory.Conflict, `snapshot ${snapshotId} already exists`, { snapshotId }),
  notFound: (snapshotId: string) =>
    new DomainError('snapshot.not_found', ErrorCategory.NotFound, `snapshot ${snapshotId} does not exist`, { snapshotId }),
  /** `named`: the command named the volume (CreateSnapshot), so the rejection points at its field. */
  volumeNotFound: (volumeId: string, named: boolean) =>
    new DomainError('snapshot.volume_not_found', ErrorCategory.NotFound, `volume ${volumeId} does not exist`, {
      volumeId,
      ...(named ? { violations: [{ field: 'data.volumeId', rule: 'exists', message: `volume ${volumeId} does not exist` }] } : {}),
    }),
  poolNotFound: (volumeId: string, poolId: string) =>
    new DomainError('snapshot.pool_not_found', ErrorCategory.NotFound, `the storage pool ${poolId} of volume ${volumeId} does not exist`, {
      volumeId,
      poolId,
    }),
  volumeNotReady: (volumeId: string, status: string, action: string) =>
    new DomainError(
      'snapshot.volume_not_ready',
      ErrorCategory.IllegalState,
      `volume ${volumeId} is ${status}: cannot ${action} until it is ready`,
      { volumeId, status },
    ),
  unsupported: (volumeId: string, plugin: string) =>
    new DomainError(
      'snapshot.unsupported',
      ErrorCategory.Validation,
      `volume ${volumeId} lives on a ${plugin} pool, and the ${plugin} backend does not take snapshots`,
      { volumeId, plugin },
    ),
  limitReached: (volumeId: string, backend: string, limit: number, count: number) =>
    new DomainError(
      'snapshot.limit_reached',
      ErrorCategory.Capacity,
      `${backend} allows ${limit} snapshots per volume tree; volume ${volumeId} has ${count}: delete one first`,
      { volumeId, limit, count },
    ),
  volumeAttached: (volumeId: string, hostCount: number) =>
    new DomainError(
      'snapshot.volume_attached',
      ErrorCategory.IllegalState,
      `volume ${volumeId} is attached to ${hostCount} host(s): a running VM would see its disk change under it, so detach it before reverting`,
      { volumeId, hostCount },
    ),
  revertUnsupported: (snapshotId: string, plugin: string) =>
    new DomainError(
      'snapshot.revert_unsupported',
      ErrorCategory.Validation,
      `the ${plugin} backend cannot revert a volume to a snapshot (snapshot ${snapshotId}): create a volume from it instead`,
      { snapshotId, plugin },
    ),
  revertNotLatest: (snapshotId: string, plugin: string, newest: string | null) =>
    new DomainError(
      'snapshot.revert_not_latest',
      ErrorCategory.IllegalState,
      newest === null
        ? `the ${plugin} backend reverts only to the newest snapshot of a volume, and it lists none for the volume of snapshot ${snapshotId}`
        : `the ${plugin} backend reverts only to the newest snapshot of a volume, which is ${newest}, not snapshot ${snapshotId}: delete the newer ones first`,
      { snapshotId, newest },
    ),
  deletionInProgress: (snapshotId: string) =>
    new DomainError('snapshot.deletion_in_progress', ErrorCategory.Conflict, `snapshot ${snapshotId} is already being deleted`, { snapshotId }),
  illegalState: (snapshotId: string, status: string, action: string) =>
    new DomainError('snapshot.illegal_state', ErrorCategory.IllegalState, `snapshot ${snapshotId} is ${status}: cannot ${action}`, {
      snapshotId,
      status,
      action,
    }),
};
