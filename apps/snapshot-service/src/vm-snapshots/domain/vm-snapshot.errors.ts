import { DomainError, ErrorCategory } from '@strata/kernel';

/** One volume named in a refusal, with what the refusal is about. */
export interface VolumeMention {
  readonly volumeId: string;
  readonly detail: string;
}

const list = (mentions: readonly VolumeMention[]) => mentions.map((m) => `${m.volumeId} (${m.detail})`).join(', ');

/**
 * Every refusal of a VM snapshot command, with its stable code. Codes travel in
 * CommandRejected and jobs, so they are never renamed; new ones are added. A refusal that
 * concerns several member volumes names each of them, so the user fixes them all at once.
 */
export const VmSnapshotErrors = {
  alreadyExists: (vmSnapshotId: string) =>
    new DomainError('vmsnapshot.already_exists', ErrorCategory.Conflict, `VM snapshot ${vmSnapshotId} already exists`, { vmSnapshotId }),
  notFound: (vmSnapshotId: string) =>
    new DomainError('vmsnapshot.not_found', ErrorCategory.NotFound, `VM snapshot ${vmSnapshotId} does not exist`, { vmSnapshotId }),
  /** `named`: the command named the volumes (CreateVmSnapshot), so the rejection points at its field. */
  volumesNotFound: (volumeIds: readonly string[], named: boolean) =>
    new DomainError('vmsnapshot.volume_not_found', ErrorCategory.NotFound, `volume(s) ${volumeIds.join(', ')} do not exist`, {
      volumeIds,
      ...(named ? { violations: [{ field: 'data.volumeIds', rule: 'exists', message: `volume(s) ${volumeIds.join(', ')} do not exist` }] } : {}),
    }),
  poolsNotFound: (mentions: readonly VolumeMention[]) =>
    new DomainError('vmsnapshot.pool_not_found', ErrorCategory.NotFound, `the storage pool of volume(s) ${list(mentions)} does not exist`, {
      volumes: mentions,
    }),
  volumesNotReady: (mentions: readonly VolumeMention[], action: string) =>
    new DomainError(
      'vmsnapshot.volume_not_ready',
      ErrorCategory.IllegalState,
      `cannot ${action} until every volume is ready; not ready: ${list(mentions)}`,
      { volumes: mentions },
    ),
  /** `mentions`: every member with the backend it lives on, so the user sees which volumes to move. */
  mixedBackends: (mentions: readonly VolumeMention[]) =>
    new DomainError(
      'vmsnapshot.mixed_backends',
      ErrorCategory.Validation,
      `a VM snapshot is one point in time taken by one backend, and these volumes live on different backends: ${list(mentions)}`,
      { volumes: mentions },
    ),
  unsupported: (plugin: string) =>
    new DomainError(
      'vmsnapshot.unsupported',
      ErrorCategory.Validation,
      `the ${plugin} backend does not take group snapshots (its manifest does not declare groupSnapshot)`,
      { plugin },
    ),
  multipleClusters: (plugin: string, mentions: readonly VolumeMention[], sameClusterMeans: string) =>
    new DomainError(
      'vmsnapshot.multiple_clusters',
      ErrorCategory.Validation,
      `a ${plugin} group snapshot needs every volume ${sameClusterMeans}; these are not: ${list(mentions)}`,
      { plugin, volumes: mentions },
    ),
  limitReached: (backend: string, mentions: readonly VolumeMention[]) =>
    new DomainError(
      'vmsnapshot.limit_reached',
      ErrorCategory.Capacity,
      `${backend} limits the snapshots per volume tree, and these volume trees are full: ${list(mentions)}; delete snapshots of them first`,
      { volumes: mentions },
    ),
  volumesAttached: (mentions: readonly VolumeMention[]) =>
    new DomainError(
      'vmsnapshot.volume_attached',
      ErrorCategory.IllegalState,
      `volume(s) ${list(mentions)} are attached: a running VM would see its disks change under it, so stop the VM (detach them) before reverting`,
      { volumes: mentions },
    ),
  revertUnsupported: (vmSnapshotId: string, plugin: string) =>
    new DomainError(
      'vmsnapshot.revert_unsupported',
      ErrorCategory.Validation,
      `the ${plugin} backend cannot revert a volume to a snapshot (VM snapshot ${vmSnapshotId})`,
      { vmSnapshotId, plugin },
    ),
  revertNotLatest: (vmSnapshotId: string, plugin: string, mentions: readonly VolumeMention[]) =>
    new DomainError(
      'vmsnapshot.revert_not_latest',
      ErrorCategory.IllegalState,
      `the ${plugin} backend reverts a volume only to its newest snapshot, and VM snapshot ${vmSnapshotId} is not the newest of volume(s) ${list(mentions)}: delete the newer snapshots first`,
      { vmSnapshotId, volumes: mentions },
    ),
  deletionInProgress: (vmSnapshotId: string) =>
    new DomainError('vmsnapshot.deletion_in_progress', ErrorCategory.Conflict, `VM snapshot ${vmSnapshotId} is already being deleted`, { vmSnapshotId }),
  illegalState: (vmSnapshotId: string, status: string, action: string) =>
    new DomainError('vmsnapshot.illegal_state', ErrorCategory.IllegalState, `VM snapshot ${vmSnapshotId} is ${status}: cannot ${action}`, {
      vmSnapshotId,
      status,
      action,
    }),
};
