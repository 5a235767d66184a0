import { assertUnreachable, DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type {
  AllocationVerdict,
  ErrorInfo,
  VolumeAllocated,
  VolumeAttached,
  VolumeAttachFailed,
  VolumeAttachRequested,
  VolumeCreated,
  VolumeCreationFailed,
  VolumeCreationRequested,
  VolumeDeleted,
  VolumeDeletionFailed,
  VolumeDeletionRequested,
  VolumeDetached,
  VolumeDetachFailed,
  VolumeDetachRequested,
  VolumeManaged,
  VolumeMigrated,
  VolumeMigrationFailed,
  VolumeMigrationProgressed,
  VolumeMigrationRequested,
  VolumeMigrationSourceDeleted,
  VolumeMigrationSourceDeletionFailed,
  VolumeQos,
  VolumeQosChanged,
  VolumeQosChangeFailed,
  VolumeQosChangeRequested,
  VolumeResized,
  VolumeResizeFailed,
  VolumeResizeRequested,
} from '@strata/contracts';

export type VolumeEvent =
  | { type: 'VolumeCreationRequested'; data: VolumeCreationRequested }
  | { type: 'VolumeAllocated'; data: VolumeAllocated }
  | { type: 'VolumeCreated'; data: VolumeCreated }
  | { type: 'VolumeCreationFailed'; data: VolumeCreationFailed }
  | { type: 'VolumeManaged'; data: VolumeManaged }
  | { type: 'VolumeDeletionRequested'; data: VolumeDeletionRequested }
  | { type: 'VolumeDeleted'; data: VolumeDeleted }
  | { type: 'VolumeDeletionFailed'; data: VolumeDeletionFailed }
  | { type: 'VolumeResizeRequested'; data: VolumeResizeRequested }
  | { type: 'VolumeResized'; data: VolumeResized }
  | { type: 'VolumeResizeFailed'; data: VolumeResizeFailed }
  | { type: 'VolumeAttachRequested'; data: VolumeAttachRequested }
  | { type: 'VolumeAttached'; data: VolumeAttached }
  | { type: 'VolumeAttachFailed'; data: VolumeAttachFailed }
  | { type: 'VolumeDetachRequested'; data: VolumeDetachRequested }
  | { type: 'VolumeDetached'; data: VolumeDetached }
  | { type: 'VolumeDetachFailed'; data: VolumeDetachFailed }
  | { type: 'VolumeQosChangeRequested'; data: VolumeQosChangeRequested }
  | { type: 'VolumeQosChanged'; data: VolumeQosChanged }
  | { type: 'VolumeQosChangeFailed'; data: VolumeQosChangeFailed }
  | { type: 'VolumeMigrationRequested'; data: VolumeMigrationRequested }
  | { type: 'VolumeMigrationProgressed'; data: VolumeMigrationProgressed }
  | { type: 'VolumeMigrated'; data: VolumeMigrated }
  | { type: 'VolumeMigrationFailed'; data: VolumeMigrationFailed }
  | { type: 'VolumeMigrationSourceDeleted'; data: VolumeMigrationSourceDeleted }
  | { type: 'VolumeMigrationSourceDeletionFailed'; data: VolumeMigrationSourceDeletionFailed };

export interface Attachment {
  readonly hostId: string;
  /** The host's name on the pool's backend, kept so a detach after a host change still revokes the right one. */
  readonly backendHost: string;
  readonly devicePath: string;
}

/** An operation between its intent and its outcome; the volume takes no other command meanwhile. */
export type InFlight =
  | { readonly kind: 'attach'; readonly hostId: string; readonly backendHost: string }
  | { readonly kind: 'detach'; readonly hostId: string; readonly backendHost: string }
  | { readonly kind: 'qos'; readonly qos: VolumeQos }
  | { readonly kind: 'resize'; readonly fromBytes: number; readonly toBytes: number; readonly allowShrink: boolean }
  | ({ readonly kind: 'migrate'; readonly percent: number } & MigrationPlan)
  /** After a copy's switch: the old object on the source pool is still to be deleted. */
  | { readonly kind: 'source-cleanup'; readonly poolId: string; readonly backendName: string };

/** Where and how a volume moves, decided by the handler (allocation, drivers, data mover) before the decider sees it. */
export type MigrationPlan = Omit<VolumeMigrationRequested, 'volumeId' | 'poolId' | 'sourceBackendName'>;

export interface VolumeFacts {
  readonly volumeId: string;
  readonly name: string;
  readonly poolId: string;
  readonly sizeBytes: number;
  readonly volumeType: 'DATA' | 'ROOT';
  readonly backendName: string;
  readonly path: string | null;
  readonly lastError: ErrorInfo | null;
  readonly provisioning: 'thin' | 'thick';
  readonly qos: VolumeQos | null;
  readonly attachments: readonly Attachment[];
  readonly inFlight: InFlight | null;
  /** Set while deleting with its snapshots: the whole backend tree goes. */
  readonly deleteTree?: boolean;
  /** Made from a snapshot: the backend clones it instead of making an empty volume (kept as the volume's lineage). */
  readonly source?: CloneSource | null;
  /** Filled from a disk image after creation, so recovery can redo the whole creation. */
  readonly image?: VolumeImage | null;
}

/** The disk image a new volume is filled from, and the host that writes it. */
export type VolumeImage = NonNullable<VolumeCreationRequested['image']>;

/** What the handler read of a disk image a new volume is to be filled from; the decider judges it. */
export interface ImageSourceFacts extends VolumeImage {
  /** qemu-img's virtual-size: the guest-visible bytes the volume must hold. */
  readonly virtualSizeBytes: number;
  /** The size asked for, before rounding to the backend's granularity. */
  readonly requestedBytes: number;
}

/** The snapshot a volume is made from, with the backend names the clone is made from. */
export type CloneSource = NonNullable<VolumeCreationRequested['source']>;

/**
 * What the handler found of the snapshot a new volume is to be made from; the decider
 * judges it (checkCloneOrigin, checkSnapshotSource).
 */
export interface SnapshotSourceFacts {
  readonly snapshotId: string;
  /** The volume the snapshot was taken of. */
  readonly volumeId: string;
  /** That volume as its stream says. */
  readonly volume: VolumeState;
  /** The pool the request named, if it named one. */
  readonly requestedPoolId?: string;
  /** The size asked for, before rounding to the backend's granularity. */
  readonly requestedBytes: number;
  /** The source pool's plugin declares clones (and snapshots, to find the snapshot by). */
  readonly cloneSupported: boolean;
  /** The snapshot on the backend whose name carries snapshotId; null when there is none. */
  readonly snapshot: { readonly name: string; readonly sizeBytes: number } | null;
}

/**
 * The volume's state machine. 'allocated': placed with its space reserved, not made on the
 * backend until its first attach. Transitional states (creating, resizing, deleting, and any
 * in-flight attach, detach or QoS change) always end in an outcome; recovery sees to it.
 * 'attached' is 'ready' with at least one host granted.
 */
export type VolumeStatus = 'allocated' | 'creating' | 'ready' | 'attached' | 'resizing' | 'migrating' | 'error' | 'deleting' | 'deleted';
export type VolumeState = { readonly status: 'absent' } | ({ readonly status: VolumeStatus } & VolumeFacts);
type PresentVolume = Exclude<VolumeState, { status: 'absent' }>;

/** What the volume needs to know of its pool; loaded by the handler, not by the decider. */
export interface PoolView {
  readonly poolId: string;
  readonly status: 'enabled' | 'disabled' | 'maintenance';
}

export type VolumeCommand =
  | {
      readonly type: 'CreateVolume';
      readonly volumeId: string;
      readonly name: string;
      readonly sizeBytes: number;
      readonly volumeType: 'DATA' | 'ROOT';
      readonly poolId: string;
      readonly pool: PoolView | null;
      readonly backendName: string;
      readonly provisioning?: 'thin' | 'thick';
      readonly qos?: VolumeQos | null;
      readonly allocation?: { readonly policy: string; readonly candidates: readonly AllocationVerdict[] } | null;
      /** Record it as allocated; the backend object is made at the first attach. */
      readonly deferred?: boolean;
      /** Make it from a snapshot: a backend clone on the source volume's pool (poolId must be that pool). */
      readonly fromSnapshot?: SnapshotSourceFacts | null;
      /** Fill it from a disk image once made. */
      readonly fromImage?: ImageSourceFacts | null;
    }
  /** An allocated volume's first attach makes it on the backend first. */
  | { readonly type: 'MaterializeVolume'; readonly volumeId: string }
  | { readonly type: 'RecordVolumeCreated'; readonly sizeBytes: number; readonly path: string | null }
  | { readonly type: 'RecordVolumeCreationFailed'; readonly error: ErrorInfo }
  | {
      readonly type: 'ManageVolume';
      readonly volumeId: string;
      readonly name: string;
      readonly poolId: string;
      readonly backendName: string;
      readonly sizeBytes: number;
      readonly path: string | null;
    }
  | {
      readonly type: 'DeleteVolume';
      readonly volumeId: string;
      /** Snapshots the backend holds of the volume (read by the handler); deleting them too needs withSnapshots. */
      readonly snapshots?: readonly string[];
      readonly withSnapshots?: boolean;
    }
  | { readonly type: 'RecordVolumeDeleted' }
  | { readonly type: 'RecordVolumeDeletionFailed'; readonly error: ErrorInfo }
  | {
      readonly type: 'ResizeVolume';
      readonly volumeId: string;
      readonly toBytes: number;
      readonly allowShrink: boolean;
      /** From the pool's manifest. */
      readonly backendCanShrink: boolean;
      readonly backendCanGrow: boolean;
    }
  | { readonly type: 'RecordVolumeResized'; readonly sizeBytes: number }
  | { readonly type: 'RecordVolumeResizeFailed'; readonly error: ErrorInfo }
  | {
      readonly type: 'AttachVolume';
      readonly volumeId: string;
      readonly hostId: string;
      readonly backendHost: string;
      /** The status of the volume's pool: one in maintenance takes no new attaches. */
      readonly poolStatus?: PoolView['status'];
    }
  | { readonly type: 'RecordVolumeAttached'; readonly devicePath: string }
  | { readonly type: 'RecordVolumeAttachFailed'; readonly error: ErrorInfo }
  | { readonly type: 'DetachVolume'; readonly volumeId: string; readonly hostId: string }
  | { readonly type: 'RecordVolumeDetached' }
  | { readonly type: 'RecordVolumeDetachFailed'; readonly error: ErrorInfo }
  | { readonly type: 'ChangeVolumeQos'; readonly volumeId: string; readonly qos: VolumeQos; readonly backendSupportsQos: boolean }
  | { readonly type: 'RecordVolumeQosChanged' }
  | { readonly type: 'RecordVolumeQosChangeFailed'; readonly error: ErrorInfo }
  | { readonly type: 'MigrateVolume'; readonly volumeId: string; readonly plan: MigrationPlan; readonly destination: PoolView | null }
  | { readonly type: 'RecordVolumeMigrationProgress'; readonly copiedBytes: number; readonly totalBytes: number }
  | { readonly type: 'RecordVolumeMigrated'; readonly sizeBytes: number; readonly path: string | null }
  | { readonly type: 'RecordVolumeMigrationFailed'; readonly error: ErrorInfo }
  | { readonly type: 'RecordMigrationSourceDeleted' }
  | { readonly type: 'RecordMigrationSourceDeletionFailed'; readonly error: ErrorInfo };

export const VolumeErrors = {
  alreadyExists: (volumeId: string) =>
    new DomainError('volume.already_exists', ErrorCategory.Conflict, `volume ${volumeId} already exists`, { volumeId }),
  notFound: (volumeId: string) =>
    new DomainError('volume.not_found', ErrorCategory.NotFound, `volume ${volumeId} does not exist`, { volumeId }),
  deletionUnderWay: (volumeId: string) =>
    new DomainError('volume.deletion_in_progress', ErrorCategory.Conflict, `volume ${volumeId} is already being deleted`, {
      volumeId,
    }),
  busy: (volumeId: string, inFlight: InFlight) =>
    new DomainError(
      'volume.operation_in_progress',
      ErrorCategory.Conflict,
      `volume ${volumeId} is busy with a ${inFlight.kind}: wait for it to finish`,
      { volumeId, inFlight: inFlight.kind },
    ),
  illegalState: (volumeId: string, status: string, action: string) =>
    new DomainError('volume.illegal_state', ErrorCategory.IllegalState, `volume ${volumeId} is ${status}: cannot ${action}`, {
      volumeId,
      status,
      action,
    }),
  poolDisabled: (poolId: string) =>
    new DomainError('pool.disabled', ErrorCategory.IllegalState, `storage pool ${poolId} is disabled: it takes no new volumes`, { poolId }),
  poolNotFound: (poolId: string) =>
    new DomainError('pool.not_found', ErrorCategory.NotFound, `storage pool ${poolId} does not exist`, { poolId }),
  unchangedSize: (volumeId: string, sizeBytes: number) =>
    new DomainError('volume.size_unchanged', ErrorCategory.Validation, `volume ${volumeId} already has ${sizeBytes} bytes`, {
      volumeId,
      violations: [{ field: 'data.sizeBytes', rule: 'changed', message: `sizeBytes is already ${sizeBytes}` }],
    }),
  shrinkNotAllowed: (volumeId: string, from: number, to: number) =>
    new DomainError(
      'volume.shrink_not_allowed',
      ErrorCategory.Validation,
      `shrinking volume ${volumeId} from ${from} to ${to} bytes destroys data past the new end: set allowShrink to do it`,
      { volumeId, violations: [{ field: 'data.allowShrink', rule: 'requiredToShrink', message: 'allowShrink must be true to shrink' }] },
    ),
  shrinkUnsupported: (volumeId: string) =>
    new DomainError('volume.shrink_unsupported', ErrorCategory.Validation, `the backend of volume ${volumeId} cannot shrink volumes`, {
      volumeId,
    }),
  growUnsupported: (volumeId: string) =>
    new DomainError('volume.grow_unsupported', ErrorCategory.Validation, `the backend of volume ${volumeId} cannot grow volumes`, {
      volumeId,
    }),
  alreadyAttached: (volumeId: string, hostId: string) =>
    new DomainError('volume.already_attached', ErrorCategory.Conflict, `volume ${volumeId} is already attached to host ${hostId}`, {
      volumeId,
      hostId,
    }),
  notAttached: (volumeId: string, hostId: string) =>
    new DomainError('volume.not_attached', ErrorCategory.Conflict, `volume ${volumeId} is not attached to host ${hostId}`, {
      volumeId,
      hostId,
    }),
  poolInMaintenance: (poolId: string, action: string) =>
    new DomainError('pool.in_maintenance', ErrorCategory.IllegalState, `storage pool ${poolId} is in maintenance: cannot ${action}`, { poolId }),
  samePool: (volumeId: string, poolId: string) =>
    new DomainError('volume.same_pool', ErrorCategory.Validation, `volume ${volumeId} already lives on storage pool ${poolId}`, {
      volumeId,
      violations: [{ field: 'data.destinationPoolId', rule: 'otherPool', message: 'destinationPoolId must be another pool than the volume\'s own' }],
    }),
  copyOfAttached: (volumeId: string, hostIds: readonly string[]) =>
    new DomainError(
      'volume.copy_needs_detach',
      ErrorCategory.IllegalState,
      `volume ${volumeId} is attached to ${hostIds.join(', ')}: a block copy cannot follow writes, so detach it first (only a native move inside one backend cluster keeps it attached)`,
      { volumeId, hostIds },
    ),
  growthExceedsCapacity: (volumeId: string, poolId: string, reasons: readonly string[]) =>
    new DomainError(
      'volume.resize_exceeds_capacity',
      ErrorCategory.Capacity,
      `growing volume ${volumeId} does not fit storage pool ${poolId}: ${reasons.join('; ')}`,
      { volumeId, poolId, violations: reasons.map((message) => ({ field: 'data.sizeBytes', rule: 'allocation.capacity', message })) },
    ),
  hasSnapshots: (volumeId: string, snapshots: readonly string[]) =>
    new DomainError(
      'volume.has_snapshots',
      ErrorCategory.IllegalState,
      `volume ${volumeId} has ${snapshots.length} snapshot(s) on its backend (${snapshots.slice(0, 20).join(', ')}${snapshots.length > 20 ? ', ...' : ''}): delete them first, or set deleteSnapshots to delete them with it`,
      { volumeId, snapshots, violations: [{ field: 'data.deleteSnapshots', rule: 'requiredWithSnapshots', message: 'deleteSnapshots must be true to delete a volume that has snapshots' }] },
    ),
  hasClones: (volumeId: string, clones: readonly string[]) =>
    new DomainError(
      'volume.has_clones',
      ErrorCategory.IllegalState,
      `volume ${volumeId} has volumes cloned from its snapshots (${clones.join(', ')}) in its backend tree: delete those volumes first`,
      { volumeId, clones },
    ),
  copyLosesSnapshots: (volumeId: string, count: number) =>
    new DomainError(
      'volume.copy_loses_snapshots',
      ErrorCategory.IllegalState,
      `volume ${volumeId} has ${count} snapshot(s): a block copy moves only the volume, so they would be lost with the source; delete them first, or move it natively within its backend cluster`,
      { volumeId, snapshotCount: count },
    ),
  qosUnsupported: (volumeId: string) =>
    new DomainError('volume.qos_unsupported', ErrorCategory.Validation, `the backend of volume ${volumeId} has no QoS limits`, { volumeId }),
  treeShared: (volumeId: string, others: readonly string[]) =>
    new DomainError(
      'volume.tree_shared',
      ErrorCategory.IllegalState,
      `volume ${volumeId} shares its backend tree with other volumes (${others.slice(0, 20).join(', ')}${others.length > 20 ? ', ...' : ''}: a volume made from a snapshot and its source): a native move takes the whole tree, so it would move them too; delete the volumes made from its snapshots (or the one this was made from) first`,
      { volumeId, others },
    ),
  sourceNotFound: (volumeId: string) =>
    new DomainError('volume.source_not_found', ErrorCategory.NotFound, `volume ${volumeId}, the snapshot's volume, does not exist`, {
      volumeId,
      violations: [{ field: 'data.fromSnapshot.volumeId', rule: 'exists', message: `volume ${volumeId} does not exist (or is deleted)` }],
    }),
  sourceNotReady: (volumeId: string, status: string) =>
    new DomainError(
      'volume.source_not_ready',
      ErrorCategory.IllegalState,
      `volume ${volumeId}, the snapshot's volume, is ${status}: a volume is made from its snapshots only while it is ready or attached`,
      {
        volumeId,
        status,
        violations: [{ field: 'data.fromSnapshot.volumeId', rule: 'readyOrAttached', message: `volume ${volumeId} is ${status}, not ready or attached` }],
      },
    ),
  cloneOtherPool: (poolId: string, sourcePoolId: string) =>
    new DomainError(
      'volume.clone_other_pool',
      ErrorCategory.Validation,
      `a volume from a snapshot is made on the snapshot's pool (${sourcePoolId}) by a backend clone, not on pool ${poolId}; migrate it afterwards`,
      {
        poolId,
        sourcePoolId,
        violations: [{ field: 'data.poolId', rule: 'snapshotPool', message: `poolId must be the snapshot's pool ${sourcePoolId}, or left out` }],
      },
    ),
  cloneNotDeferred: () =>
    new DomainError(
      'volume.clone_not_deferrable',
      ErrorCategory.Validation,
      'a volume from a snapshot is made at once (the snapshot may be gone by the first attach): leave deferCreation out',
      { violations: [{ field: 'data.deferCreation', rule: 'notWithFromSnapshot', message: 'deferCreation cannot be set with fromSnapshot' }] },
    ),
  cloneThick: () =>
    new DomainError(
      'volume.clone_thick_unsupported',
      ErrorCategory.Validation,
      "a volume from a snapshot is a backend clone, which shares the snapshot's blocks: it is thin; leave provisioning out or set thin",
      { violations: [{ field: 'data.provisioning', rule: 'thinForClone', message: 'provisioning must be thin with fromSnapshot' }] },
    ),
  cloneUnsupported: (poolId: string) =>
    new DomainError(
      'volume.clone_unsupported',
      ErrorCategory.Validation,
      `the backend of storage pool ${poolId} cannot make a volume from a snapshot (its plugin declares no clones)`,
      { poolId, violations: [{ field: 'data.fromSnapshot', rule: 'backendClones', message: "the snapshot's backend does not clone" }] },
    ),
  snapshotNotFound: (snapshotId: string, volumeId: string) =>
    new DomainError(
      'volume.snapshot_not_found',
      ErrorCategory.NotFound,
      `volume ${volumeId} has no snapshot ${snapshotId} on its backend`,
      {
        snapshotId,
        volumeId,
        violations: [{ field: 'data.fromSnapshot.snapshotId', rule: 'exists', message: `no snapshot ${snapshotId} of volume ${volumeId} on the backend` }],
      },
    ),
  smallerThanImage: (sizeBytes: number, virtualSizeBytes: number) =>
    new DomainError(
      'volume.size_below_image',
      ErrorCategory.Validation,
      `a volume from a disk image of ${virtualSizeBytes} bytes (its virtual size) needs at least that many, not ${sizeBytes}`,
      {
        sizeBytes,
        virtualSizeBytes,
        violations: [{ field: 'data.sizeBytes', rule: 'atLeastImageSize', message: `sizeBytes must be at least the image's virtual size ${virtualSizeBytes}` }],
      },
    ),
  imageUnreadable: (path: string, format: string, reason: string) =>
    new DomainError('volume.image_unreadable', ErrorCategory.Validation, `disk image ${path} cannot be read as ${format}: ${reason}`, {
      path,
      format,
      violations: [{ field: 'data.fromImage.path', rule: 'readableImage', message: `${path} is not a readable ${format} image` }],
    }),
  imageNotDeferrable: () =>
    new DomainError('volume.image_not_deferrable', ErrorCategory.Validation, 'a volume from a disk image is filled at once: leave deferCreation out', {
      violations: [{ field: 'data.deferCreation', rule: 'notWithFromImage', message: 'deferCreation cannot be set with fromImage' }],
    }),
  /** `field`: where the command names the host (fromImage's for CreateVolume, the top level's for ExportVolume). */
  dataMoverRequired: (field = 'data.fromImage.dataMoverHostId') =>
    new DomainError(
      'volume.data_mover_required',
      ErrorCategory.Validation,
      `a disk image is read or written through a data mover host: name it in ${field.replace(/^data\./, '')}, or set STRATA_DATA_MOVER_HOST_ID`,
      { violations: [{ field, rule: 'requiredForImage', message: 'dataMoverHostId is required to write an image' }] },
    ),
  dataMoverUnknown: (hostId: string, reason: string, field = 'data.fromImage.dataMoverHostId') =>
    new DomainError('host.not_found', ErrorCategory.NotFound, `data mover host ${hostId} cannot move the image: ${reason}`, {
      hostId,
      violations: [{ field, rule: 'registeredHost', message: `host ${hostId}: ${reason}` }],
    }),
  exportNeedsDetach: (volumeId: string, hostIds: readonly string[]) =>
    new DomainError(
      'volume.export_needs_detach',
      ErrorCategory.IllegalState,
      `volume ${volumeId} is attached to ${hostIds.join(', ')}: an export would read blocks a guest is writing; detach it first, or export a snapshot of it`,
      { volumeId, hostIds, violations: [{ field: 'data.volumeId', rule: 'detached', message: `volume ${volumeId} is attached` }] },
    ),
  smallerThanSnapshot: (sizeBytes: number, snapshotBytes: number) =>
    new DomainError(
      'volume.size_below_snapshot',
      ErrorCategory.Validation,
      `a volume from a snapshot of ${snapshotBytes} bytes needs at least that many, not ${sizeBytes}`,
      {
        sizeBytes,
        snapshotBytes,
        violations: [{ field: 'data.sizeBytes', rule: 'atLeastSnapshotSize', message: `sizeBytes must be at least the snapshot's ${snapshotBytes}` }],
      },
    ),
};

/** The volume when its status allows `action` and nothing else is in flight, else the error saying why. */
function requireStatus(state: VolumeState, allowed: readonly VolumeStatus[], action: string, volumeId = 'unknown'): PresentVolume {
  if (state.status === 'absent') throw VolumeErrors.notFound(volumeId);
  if (!allowed.includes(state.status)) throw VolumeErrors.illegalState(state.volumeId, state.status, action);
  return state;
}

/** Usable (ready or attached) and idle: what every user operation but delete needs. */
export function requireIdle(state: VolumeState, action: string, volumeId: string): PresentVolume {
  const volume = requireStatus(state, ['ready', 'attached'], action, volumeId);
  if (volume.inFlight) throw VolumeErrors.busy(volume.volumeId, volume.inFlight);
  return volume;
}

/**
 * The volume a snapshot was taken of, when a new volume may be made from it there: it
 * exists, its object is made (ready or attached) and the request names no other pool (a
 * clone is made in the snapshot's backend, on its pool).
 */
export function checkCloneOrigin(facts: Pick<SnapshotSourceFacts, 'volumeId' | 'volume' | 'requestedPoolId'>): PresentVolume {
  const source = facts.volume;
  if (source.status === 'absent' || source.status === 'deleted') throw VolumeErrors.sourceNotFound(facts.volumeId);
  if (source.status !== 'ready' && source.status !== 'attached') throw VolumeErrors.sourceNotReady(facts.volumeId, source.status);
  if (facts.requestedPoolId !== undefined && facts.requestedPoolId !== source.poolId) {
    throw VolumeErrors.cloneOtherPool(facts.requestedPoolId, source.poolId);
  }
  return source;
}

/**
 * Everything that must hold to make a volume from the snapshot, past the origin and the
 * pool: made at once and thin (a clone shares the snapshot's blocks), a backend that
 * clones, the snapshot found on it, and a size of at least the snapshot's.
 */
export function checkSnapshotSource(facts: SnapshotSourceFacts, options: { readonly provisioning?: 'thin' | 'thick'; readonly deferred?: boolean }): CloneSource {
  const origin = checkCloneOrigin(facts);
  if (options.deferred) throw VolumeErrors.cloneNotDeferred();
  if (options.provisioning === 'thick') throw VolumeErrors.cloneThick();
  // A backend without clones could still be served by a block copy (an empty volume, then
  // the snapshot's blocks copied through a data mover, as a copy migration does): that
  // path would go here. All four backends clone today.
  if (!facts.cloneSupported) throw VolumeErrors.cloneUnsupported(origin.poolId);
  if (!facts.snapshot) throw VolumeErrors.snapshotNotFound(facts.snapshotId, facts.volumeId);
  if (facts.requestedBytes < facts.snapshot.sizeBytes) throw VolumeErrors.smallerThanSnapshot(facts.requestedBytes, facts.snapshot.sizeBytes);
  return {
    snapshotId: facts.snapshotId,
    volumeId: facts.volumeId,
    sourceVolumeBackendName: origin.backendName,
    snapshotBackendName: facts.snapshot.name,
  };
}

/** A disk image a new volume may be filled from: made at once, and at least as big as the image's virtual size. */
export function checkImageSource(facts: ImageSourceFacts, options: { readonly deferred?: boolean }): VolumeImage {
  if (options.deferred) throw VolumeErrors.imageNotDeferrable();
  if (facts.requestedBytes < facts.virtualSizeBytes) throw VolumeErrors.smallerThanImage(facts.requestedBytes, facts.virtualSizeBytes);
  return { path: facts.path, format: facts.format, dataMoverHostId: facts.dataMoverHostId };
}

/** An outcome must answer the operation that is in flight, of the kind it reports. */
function requireInFlight<K extends InFlight['kind']>(state: VolumeState, kind: K, action: string): PresentVolume & { inFlight: Extract<InFlight, { kind: K }> } {
  if (state.status === 'absent') throw VolumeErrors.notFound('unknown');
  if (state.inFlight?.kind !== kind) throw VolumeErrors.illegalState(state.volumeId, state.status, action);
  return state as PresentVolume & { inFlight: Extract<InFlight, { kind: K }> };
}

/** Back to ready or attached once an operation ends. */
const settled = (attachments: readonly Attachment[]): VolumeStatus => (attachments.length > 0 ? 'attached' : 'ready');

const hasQos = (qos: VolumeQos) =>
  (qos.iops ?? null) !== null || (qos.bandwidthBytesPerSecond ?? null) !== null || (qos.tier ?? null) !== null;

export const volumeDecider: Decider<VolumeState, VolumeCommand, VolumeEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateVolume': {
        if (state.status !== 'absent') throw VolumeErrors.alreadyExists(command.volumeId);
        const from = command.fromSnapshot ?? null;
        // A clone is made on its source's pool, whatever the request named.
        if (from) {
          const origin = checkCloneOrigin(from);
          if (origin.poolId !== command.poolId) throw VolumeErrors.cloneOtherPool(command.poolId, origin.poolId);
        }
        if (!command.pool) throw VolumeErrors.poolNotFound(command.poolId);
        if (command.pool.status === 'disabled') throw VolumeErrors.poolDisabled(command.poolId);
        if (command.pool.status === 'maintenance') throw VolumeErrors.poolInMaintenance(command.poolId, 'take new volumes');
        const source = from ? checkSnapshotSource(from, { provisioning: command.provisioning, deferred: command.deferred }) : null;
        const image = command.fromImage ? checkImageSource(command.fromImage, { deferred: command.deferred }) : null;
        return [
          {
            type: command.deferred ? 'VolumeAllocated' : 'VolumeCreationRequested',
            data: {
              volumeId: command.volumeId,
              name: command.name,
              poolId: command.poolId,
              sizeBytes: command.sizeBytes,
              volumeType: command.volumeType,
              backendName: command.backendName,
              provisioning: command.provisioning ?? 'thin',
              qos: command.qos ?? null,
              allocation: command.allocation ?? null,
              ...(source ? { source } : {}),
              ...(image ? { image } : {}),
            },
          },
        ];
      }
      case 'MaterializeVolume': {
        const volume = requireStatus(state, ['allocated'], 'make it on the backend', command.volumeId);
        return [
          {
            type: 'VolumeCreationRequested',
            data: {
              volumeId: volume.volumeId,
              name: volume.name,
              poolId: volume.poolId,
              sizeBytes: volume.sizeBytes,
              volumeType: volume.volumeType,
              backendName: volume.backendName,
              provisioning: volume.provisioning,
              qos: volume.qos,
              allocation: null,
              ...(volume.source ? { source: volume.source } : {}),
            },
          },
        ];
      }
      case 'RecordVolumeCreated': {
        const volume = requireStatus(state, ['creating'], 'record a creation');
        return [
          {
            type: 'VolumeCreated',
            data: { volumeId: volume.volumeId, poolId: volume.poolId, backendName: volume.backendName, sizeBytes: command.sizeBytes, path: command.path },
          },
        ];
      }
      case 'RecordVolumeCreationFailed': {
        const volume = requireStatus(state, ['creating'], 'record a failed creation');
        return [{ type: 'VolumeCreationFailed', data: { volumeId: volume.volumeId, poolId: volume.poolId, error: command.error } }];
      }
      case 'ManageVolume': {
        if (state.status !== 'absent') throw VolumeErrors.alreadyExists(command.volumeId);
        const { type: _type, ...data } = command;
        return [{ type: 'VolumeManaged', data }];
      }
      case 'DeleteVolume': {
        // A second request while one runs is answered, not swallowed: its job must end too.
        if (state.status === 'deleting') throw VolumeErrors.deletionUnderWay(state.volumeId);
        const volume = requireStatus(state, ['allocated', 'ready', 'attached', 'error'], 'delete it', command.volumeId);
        if (volume.inFlight) throw VolumeErrors.busy(volume.volumeId, volume.inFlight);
        const snapshots = command.snapshots ?? [];
        if (snapshots.length > 0 && !command.withSnapshots) throw VolumeErrors.hasSnapshots(volume.volumeId, snapshots);
        return [
          {
            type: 'VolumeDeletionRequested',
            data: {
              volumeId: volume.volumeId,
              poolId: volume.poolId,
              backendName: volume.backendName,
              ...(snapshots.length > 0 ? { withSnapshots: true, snapshots } : {}),
            },
          },
        ];
      }
      case 'RecordVolumeDeleted': {
        const volume = requireStatus(state, ['deleting'], 'record a deletion');
        return [{ type: 'VolumeDeleted', data: { volumeId: volume.volumeId, poolId: volume.poolId, sizeBytes: volume.sizeBytes } }];
      }
      case 'RecordVolumeDeletionFailed': {
        const volume = requireStatus(state, ['deleting'], 'record a failed deletion');
        return [{ type: 'VolumeDeletionFailed', data: { volumeId: volume.volumeId, poolId: volume.poolId, error: command.error } }];
      }
      case 'ResizeVolume': {
        const volume = requireIdle(state, 'resize it', command.volumeId);
        if (command.toBytes === volume.sizeBytes) throw VolumeErrors.unchangedSize(volume.volumeId, volume.sizeBytes);
        if (command.toBytes < volume.sizeBytes) {
          if (!command.allowShrink) throw VolumeErrors.shrinkNotAllowed(volume.volumeId, volume.sizeBytes, command.toBytes);
          if (!command.backendCanShrink) throw VolumeErrors.shrinkUnsupported(volume.volumeId);
        } else if (!command.backendCanGrow) {
          throw VolumeErrors.growUnsupported(volume.volumeId);
        }
        return [
          {
            type: 'VolumeResizeRequested',
            data: { volumeId: volume.volumeId, fromBytes: volume.sizeBytes, toBytes: command.toBytes, allowShrink: command.allowShrink },
          },
        ];
      }
      case 'RecordVolumeResized': {
        const volume = requireInFlight(state, 'resize', 'record a resize');
        return [{ type: 'VolumeResized', data: { volumeId: volume.volumeId, sizeBytes: command.sizeBytes } }];
      }
      case 'RecordVolumeResizeFailed': {
        const volume = requireInFlight(state, 'resize', 'record a failed resize');
        return [{ type: 'VolumeResizeFailed', data: { volumeId: volume.volumeId, error: command.error } }];
      }
      case 'AttachVolume': {
        const volume = requireIdle(state, 'attach it', command.volumeId);
        if (command.poolStatus === 'maintenance') throw VolumeErrors.poolInMaintenance(volume.poolId, 'attach volumes on it');
        if (volume.attachments.some((a) => a.hostId === command.hostId)) throw VolumeErrors.alreadyAttached(volume.volumeId, command.hostId);
        return [{ type: 'VolumeAttachRequested', data: { volumeId: volume.volumeId, hostId: command.hostId, backendHost: command.backendHost } }];
      }
      case 'RecordVolumeAttached': {
        const volume = requireInFlight(state, 'attach', 'record an attach');
        return [{ type: 'VolumeAttached', data: { volumeId: volume.volumeId, hostId: volume.inFlight.hostId, devicePath: command.devicePath } }];
      }
      case 'RecordVolumeAttachFailed': {
        const volume = requireInFlight(state, 'attach', 'record a failed attach');
        return [{ type: 'VolumeAttachFailed', data: { volumeId: volume.volumeId, hostId: volume.inFlight.hostId, error: command.error } }];
      }
      case 'DetachVolume': {
        const volume = requireIdle(state, 'detach it', command.volumeId);
        const attachment = volume.attachments.find((a) => a.hostId === command.hostId);
        if (!attachment) throw VolumeErrors.notAttached(volume.volumeId, command.hostId);
        return [{ type: 'VolumeDetachRequested', data: { volumeId: volume.volumeId, hostId: command.hostId, backendHost: attachment.backendHost } }];
      }
      case 'RecordVolumeDetached': {
        const volume = requireInFlight(state, 'detach', 'record a detach');
        return [{ type: 'VolumeDetached', data: { volumeId: volume.volumeId, hostId: volume.inFlight.hostId } }];
      }
      case 'RecordVolumeDetachFailed': {
        const volume = requireInFlight(state, 'detach', 'record a failed detach');
        return [{ type: 'VolumeDetachFailed', data: { volumeId: volume.volumeId, hostId: volume.inFlight.hostId, error: command.error } }];
      }
      case 'ChangeVolumeQos': {
        const volume = requireIdle(state, 'change its QoS', command.volumeId);
        if (hasQos(command.qos) && !command.backendSupportsQos) throw VolumeErrors.qosUnsupported(volume.volumeId);
        return [{ type: 'VolumeQosChangeRequested', data: { volumeId: volume.volumeId, qos: command.qos } }];
      }
      case 'RecordVolumeQosChanged': {
        const volume = requireInFlight(state, 'qos', 'record a QoS change');
        return [{ type: 'VolumeQosChanged', data: { volumeId: volume.volumeId, qos: volume.inFlight.qos } }];
      }
      case 'RecordVolumeQosChangeFailed': {
        const volume = requireInFlight(state, 'qos', 'record a failed QoS change');
        return [{ type: 'VolumeQosChangeFailed', data: { volumeId: volume.volumeId, error: command.error } }];
      }
      case 'MigrateVolume': {
        const volume = requireIdle(state, 'migrate it', command.volumeId);
        const { plan } = command;
        if (plan.toPoolId === volume.poolId) throw VolumeErrors.samePool(volume.volumeId, volume.poolId);
        if (!command.destination) throw VolumeErrors.poolNotFound(plan.toPoolId);
        if (command.destination.status === 'disabled') throw VolumeErrors.poolDisabled(plan.toPoolId);
        if (command.destination.status === 'maintenance') throw VolumeErrors.poolInMaintenance(plan.toPoolId, 'take new volumes');
        if (plan.mode === 'copy' && volume.attachments.length > 0) {
          throw VolumeErrors.copyOfAttached(volume.volumeId, volume.attachments.map((a) => a.hostId));
        }
        return [
          {
            type: 'VolumeMigrationRequested',
            data: { volumeId: volume.volumeId, poolId: volume.poolId, sourceBackendName: volume.backendName, ...plan },
          },
        ];
      }
      case 'RecordVolumeMigrationProgress': {
        const volume = requireInFlight(state, 'migrate', 'record migration progress');
        const percent = command.totalBytes === 0 ? 100 : Math.min(100, Math.floor((command.copiedBytes / command.totalBytes) * 100));
        // Progress only moves forward: a copy restarted after a crash reports from zero again.
        if (percent <= volume.inFlight.percent) return [];
        return [
          {
            type: 'VolumeMigrationProgressed',
            data: { volumeId: volume.volumeId, toPoolId: volume.inFlight.toPoolId, copiedBytes: command.copiedBytes, totalBytes: command.totalBytes, percent },
          },
        ];
      }
      case 'RecordVolumeMigrated': {
        const volume = requireInFlight(state, 'migrate', 'record a migration');
        const move = volume.inFlight;
        return [
          {
            type: 'VolumeMigrated',
            data: {
              volumeId: volume.volumeId,
              fromPoolId: volume.poolId,
              toPoolId: move.toPoolId,
              mode: move.mode,
              sourceBackendName: volume.backendName,
              backendName: move.destinationBackendName,
              sizeBytes: command.sizeBytes,
              path: command.path,
            },
          },
        ];
      }
      case 'RecordVolumeMigrationFailed': {
        const volume = requireInFlight(state, 'migrate', 'record a failed migration');
        return [
          { type: 'VolumeMigrationFailed', data: { volumeId: volume.volumeId, poolId: volume.poolId, toPoolId: volume.inFlight.toPoolId, error: command.error } },
        ];
      }
      case 'RecordMigrationSourceDeleted': {
        const volume = requireInFlight(state, 'source-cleanup', 'record the deletion of a migration source');
        const { poolId, backendName } = volume.inFlight;
        return [{ type: 'VolumeMigrationSourceDeleted', data: { volumeId: volume.volumeId, poolId, backendName } }];
      }
      case 'RecordMigrationSourceDeletionFailed': {
        const volume = requireInFlight(state, 'source-cleanup', 'record a failed deletion of a migration source');
        const { poolId, backendName } = volume.inFlight;
        return [{ type: 'VolumeMigrationSourceDeletionFailed', data: { volumeId: volume.volumeId, poolId, backendName, error: command.error } }];
      }
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    if (event.type === 'VolumeCreationRequested' || event.type === 'VolumeAllocated') {
      const d = event.data;
      return {
        status: event.type === 'VolumeAllocated' ? 'allocated' : 'creating',
        volumeId: d.volumeId,
        name: d.name,
        poolId: d.poolId,
        sizeBytes: d.sizeBytes,
        volumeType: d.volumeType,
        backendName: d.backendName,
        path: null,
        lastError: null,
        provisioning: d.provisioning ?? 'thin',
        qos: d.qos ?? null,
        attachments: [],
        inFlight: null,
        ...(d.source ? { source: d.source } : {}),
        ...(d.image ? { image: d.image } : {}),
      };
    }
    if (event.type === 'VolumeManaged') {
      const d = event.data;
      return {
        status: 'ready',
        volumeId: d.volumeId,
        name: d.name,
        poolId: d.poolId,
        sizeBytes: d.sizeBytes,
        volumeType: 'DATA',
        backendName: d.backendName,
        path: d.path,
        lastError: null,
        provisioning: 'thin',
        qos: null,
        attachments: [],
        inFlight: null,
      };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'VolumeCreated':
        return { ...state, status: 'ready', sizeBytes: event.data.sizeBytes, path: event.data.path, lastError: null };
      case 'VolumeCreationFailed':
        return { ...state, status: 'error', lastError: event.data.error };
      case 'VolumeDeletionRequested':
        return { ...state, status: 'deleting', deleteTree: event.data.withSnapshots === true };
      case 'VolumeDeleted':
        return { ...state, status: 'deleted', path: null, attachments: [] };
      case 'VolumeDeletionFailed':
        return { ...state, status: 'error', lastError: event.data.error };
      case 'VolumeResizeRequested':
        return {
          ...state,
          status: 'resizing',
          inFlight: { kind: 'resize', fromBytes: event.data.fromBytes, toBytes: event.data.toBytes, allowShrink: event.data.allowShrink },
        };
      case 'VolumeResized':
        return { ...state, status: settled(state.attachments), sizeBytes: event.data.sizeBytes, inFlight: null, lastError: null };
      case 'VolumeResizeFailed':
        return { ...state, status: settled(state.attachments), inFlight: null, lastError: event.data.error };
      case 'VolumeAttachRequested':
        return { ...state, inFlight: { kind: 'attach', hostId: event.data.hostId, backendHost: event.data.backendHost } };
      case 'VolumeAttached': {
        const backendHost = state.inFlight?.kind === 'attach' ? state.inFlight.backendHost : event.data.hostId;
        const attachments = [...state.attachments, { hostId: event.data.hostId, backendHost, devicePath: event.data.devicePath }];
        return { ...state, status: 'attached', attachments, inFlight: null, lastError: null };
      }
      case 'VolumeAttachFailed':
        return { ...state, inFlight: null, lastError: event.data.error };
      case 'VolumeDetachRequested':
        return { ...state, inFlight: { kind: 'detach', hostId: event.data.hostId, backendHost: event.data.backendHost } };
      case 'VolumeDetached': {
        const attachments = state.attachments.filter((a) => a.hostId !== event.data.hostId);
        return { ...state, status: settled(attachments), attachments, inFlight: null, lastError: null };
      }
      case 'VolumeDetachFailed':
        return { ...state, inFlight: null, lastError: event.data.error };
      case 'VolumeQosChangeRequested':
        return { ...state, inFlight: { kind: 'qos', qos: event.data.qos } };
      case 'VolumeQosChanged':
        return { ...state, qos: hasQos(event.data.qos) ? event.data.qos : null, inFlight: null, lastError: null };
      case 'VolumeQosChangeFailed':
        return { ...state, inFlight: null, lastError: event.data.error };
      case 'VolumeMigrationRequested': {
        const { volumeId: _v, poolId: _p, sourceBackendName: _s, ...plan } = event.data;
        return { ...state, status: 'migrating', inFlight: { kind: 'migrate', percent: 0, ...plan } };
      }
      case 'VolumeMigrationProgressed':
        return state.inFlight?.kind === 'migrate' ? { ...state, inFlight: { ...state.inFlight, percent: event.data.percent } } : state;
      case 'VolumeMigrated': {
        const d = event.data;
        // A copy leaves the old object behind until VolumeMigrationSourceDeleted; a native move has none.
        const inFlight: InFlight | null =
          d.mode === 'copy' ? { kind: 'source-cleanup', poolId: d.fromPoolId, backendName: d.sourceBackendName } : null;
        return {
          ...state,
          status: settled(state.attachments),
          poolId: d.toPoolId,
          backendName: d.backendName,
          sizeBytes: d.sizeBytes,
          path: d.mode === 'copy' ? d.path : (d.path ?? state.path),
          inFlight,
          lastError: null,
        };
      }
      case 'VolumeMigrationFailed':
        return { ...state, status: settled(state.attachments), inFlight: null, lastError: event.data.error };
      case 'VolumeMigrationSourceDeleted':
        return { ...state, inFlight: null };
      case 'VolumeMigrationSourceDeletionFailed':
        return { ...state, inFlight: null, lastError: event.data.error };
      default:
        return assertUnreachable(event);
    }
  },
};

export const volumeStreamId = (volumeId: string) => `volume-${volumeId}`;
export const VOLUME_STREAM_PREFIX = 'volume-';
/** Newest events that leave a volume mid-operation: recovery finishes these. */
export const TRANSITIONAL_VOLUME_EVENTS = [
  'VolumeCreationRequested',
  'VolumeDeletionRequested',
  'VolumeResizeRequested',
  'VolumeAttachRequested',
  'VolumeDetachRequested',
  'VolumeQosChangeRequested',
  'VolumeMigrationRequested',
  'VolumeMigrationProgressed',
  // Transitional until the old copy is gone (the volume takes no command meanwhile, so this stays the newest event).
  'VolumeMigrated',
] as const;

/** One backend object a volume holds on a pool, as reconciliation and pool deletion must see it. */
export interface VolumeHolding {
  readonly poolId: string;
  readonly backendName: string;
  /** The volume lives here (not a migration's other end). */
  readonly home: boolean;
}

/**
 * Every pool a volume holds an object on: its own pool, plus, while it migrates, the
 * destination (a copy being made, or the tree arriving), or, after a copy's switch, the
 * source until the old object is deleted.
 */
export function volumeHoldings(state: VolumeState): VolumeHolding[] {
  if (state.status === 'absent' || state.status === 'deleted') return [];
  const holdings: VolumeHolding[] = [{ poolId: state.poolId, backendName: state.backendName, home: true }];
  const f = state.inFlight;
  if (f?.kind === 'migrate') holdings.push({ poolId: f.toPoolId, backendName: f.destinationBackendName, home: false });
  if (f?.kind === 'source-cleanup') holdings.push({ poolId: f.poolId, backendName: f.backendName, home: false });
  return holdings;
}
