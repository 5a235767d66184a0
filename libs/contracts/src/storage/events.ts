/** Payloads of the events the storage service publishes on the storage events topic. */

export interface ErrorInfo {
  readonly code: string;
  readonly category: string;
  readonly message: string;
}

export interface StoragePoolAdded {
  readonly poolId: string;
  readonly name: string;
  readonly plugin: string;
  readonly zoneId: string;
  readonly clusterId: string | null;
  readonly tags: readonly string[];
  /** Plugin configuration with every credential removed. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly capacityBytes: number;
  readonly usedBytes: number;
  /** Absent in events recorded before these settings existed: read as the defaults. */
  readonly hypervisors?: readonly string[];
  readonly capacityIops?: number | null;
  readonly overProvisioningFactor?: number;
  readonly allocationDisableThreshold?: number;
}

/** Pool settings as recorded; a pool's state applies them over its current values. */
export interface PoolSettings {
  readonly name?: string;
  readonly tags?: readonly string[];
  readonly hypervisors?: readonly string[];
  readonly capacityIops?: number | null;
  readonly overProvisioningFactor?: number;
  readonly allocationDisableThreshold?: number;
}

export interface StoragePoolUpdated {
  readonly poolId: string;
  /** Only the settings that changed, with their new values. */
  readonly changes: PoolSettings;
}

export interface StoragePoolEnabled {
  readonly poolId: string;
}

export interface StoragePoolDisabled {
  readonly poolId: string;
  readonly reason: string | null;
}

export interface StoragePoolDeleted {
  readonly poolId: string;
}

/** Capacity as the backend reports it by its own rules, measured again. */
export interface StoragePoolCapacityRefreshed {
  readonly poolId: string;
  readonly capacityBytes: number;
  readonly usedBytes: number;
}

export interface VolumeCreationRequested {
  readonly volumeId: string;
  readonly name: string;
  readonly poolId: string;
  readonly sizeBytes: number;
  readonly volumeType: 'DATA' | 'ROOT';
  /** Deterministic name on the backend, so a retried create finds what a crashed one made. */
  readonly backendName: string;
  /** Absent in older events: thin, no QoS, the pool named by the request. */
  readonly provisioning?: 'thin' | 'thick';
  readonly qos?: VolumeQos | null;
  /** How the pool was chosen, when allocation chose it. */
  readonly allocation?: { readonly policy: string; readonly candidates: readonly AllocationVerdict[] } | null;
  /** Made from a snapshot (a backend clone): the snapshot, and the backend names the clone is made from. */
  readonly source?: {
    readonly snapshotId: string;
    readonly volumeId: string;
    readonly sourceVolumeBackendName: string;
    readonly snapshotBackendName: string;
  } | null;
  /** Filled from a disk image after creation, through the data mover host (CreateVolume fromImage). */
  readonly image?: { readonly path: string; readonly format: 'qcow2' | 'raw'; readonly dataMoverHostId: string } | null;
}

/**
 * A volume placed, with its space reserved, but not made on the backend yet (status
 * allocated): its first attach makes it (VolumeCreationRequested, caused by the attach).
 * Same fields as VolumeCreationRequested.
 */
export type VolumeAllocated = VolumeCreationRequested;

export interface VolumeQos {
  readonly iops?: number | null;
  readonly bandwidthBytesPerSecond?: number | null;
  readonly tier?: string | null;
}

/** One pool allocation looked at, and why it was or was not taken. */
export interface AllocationVerdict {
  readonly poolId: string;
  readonly fits: boolean;
  /** Empty when it fits. */
  readonly reasons: readonly string[];
}

export interface VolumeResizeRequested {
  readonly volumeId: string;
  readonly fromBytes: number;
  readonly toBytes: number;
  readonly allowShrink: boolean;
}
export interface VolumeResized {
  readonly volumeId: string;
  readonly sizeBytes: number;
}
export interface VolumeResizeFailed {
  readonly volumeId: string;
  readonly error: ErrorInfo;
}

export interface VolumeAttachRequested {
  readonly volumeId: string;
  readonly hostId: string;
  /** The host's identity on this pool's backend (LINSTOR node, SDC, client id; the host id for file pools). */
  readonly backendHost: string;
}
export interface VolumeAttached {
  readonly volumeId: string;
  readonly hostId: string;
  readonly devicePath: string;
}
export interface VolumeAttachFailed {
  readonly volumeId: string;
  readonly hostId: string;
  readonly error: ErrorInfo;
}
export interface VolumeDetachRequested {
  readonly volumeId: string;
  readonly hostId: string;
  readonly backendHost: string;
}
export interface VolumeDetached {
  readonly volumeId: string;
  readonly hostId: string;
}
export interface VolumeDetachFailed {
  readonly volumeId: string;
  readonly hostId: string;
  readonly error: ErrorInfo;
}

export interface VolumeQosChangeRequested {
  readonly volumeId: string;
  readonly qos: VolumeQos;
}
export interface VolumeQosChanged {
  readonly volumeId: string;
  readonly qos: VolumeQos;
}
export interface VolumeQosChangeFailed {
  readonly volumeId: string;
  readonly error: ErrorInfo;
}

export interface HostIdentities {
  readonly linstorNode?: string;
  readonly powerflexSdc?: string;
  readonly storpoolClientId?: number;
}
export interface HostRegistered {
  readonly hostId: string;
  readonly name: string;
  readonly zoneId: string;
  readonly clusterId: string | null;
  readonly hypervisor: string;
  readonly identities: HostIdentities;
}
export interface HostDeregistered {
  readonly hostId: string;
}

/** What a reconciliation of one pool found: both directions of drift. */
export interface PoolDriftDetected {
  readonly poolId: string;
  /** Backend objects in the pool that no volume owns. */
  readonly orphans: readonly { readonly backendName: string; readonly sizeBytes: number }[];
  /** Volumes the log says exist whose backend object is missing. */
  readonly missing: readonly { readonly volumeId: string; readonly backendName: string }[];
}
/** A reconciliation that found the pool and the log in agreement (after drift was reported). */
export interface PoolDriftCleared {
  readonly poolId: string;
}

/** An orphan adopted as a volume (its own stream starts with this). */
export interface VolumeManaged {
  readonly volumeId: string;
  readonly name: string;
  readonly poolId: string;
  readonly backendName: string;
  readonly sizeBytes: number;
  readonly path: string | null;
}

export interface OrphanRemovalRequested {
  readonly poolId: string;
  readonly backendName: string;
}
export interface OrphanRemoved {
  readonly poolId: string;
  readonly backendName: string;
}
export interface OrphanRemovalFailed {
  readonly poolId: string;
  readonly backendName: string;
  readonly error: ErrorInfo;
}

export interface VolumeCreated {
  readonly volumeId: string;
  readonly poolId: string;
  readonly backendName: string;
  readonly sizeBytes: number;
  readonly path: string | null;
}

export interface VolumeCreationFailed {
  readonly volumeId: string;
  readonly poolId: string;
  readonly error: ErrorInfo;
}

export interface VolumeDeletionRequested {
  readonly volumeId: string;
  readonly poolId: string;
  readonly backendName: string;
  /** The volume's snapshots go with it (DeleteVolume with deleteSnapshots); absent in older events: false. */
  readonly withSnapshots?: boolean;
  /** The backend names of the snapshots deleted with it, as listed when the deletion was asked. */
  readonly snapshots?: readonly string[];
}

export interface VolumeDeleted {
  readonly volumeId: string;
  readonly poolId: string;
  readonly sizeBytes: number;
}

export interface VolumeDeletionFailed {
  readonly volumeId: string;
  readonly poolId: string;
  readonly error: ErrorInfo;
}

/** How a volume moves: the backend moves it inside its cluster, or Strata copies its blocks. */
export type MigrationMode = 'native' | 'copy';

/** The host a block copy goes through, with its identity on each of the two pools' backends. */
export interface DataMover {
  readonly hostId: string;
  readonly sourceBackendHost: string;
  readonly destinationBackendHost: string;
}

/** Intent: move the volume from poolId to toPoolId. The volume takes no other command until it ends. */
export interface VolumeMigrationRequested {
  readonly volumeId: string;
  /** The pool it leaves. */
  readonly poolId: string;
  readonly toPoolId: string;
  readonly mode: MigrationMode;
  readonly sourceBackendName: string;
  /** Its name on the destination: the same object for native moves, a new one (named after the migration) for copies. */
  readonly destinationBackendName: string;
  /** Size on the destination (rounded up to its granularity). */
  readonly sizeBytes: number;
  /** The destination as the backend names it (PowerFlex storage pool, StorPool template); null for copies. */
  readonly nativeTarget: string | null;
  readonly dataMover: DataMover | null;
  /** When allocation chose the destination: every pool looked at and why. */
  readonly allocation: { readonly policy: string; readonly candidates: readonly AllocationVerdict[] } | null;
}

/** A copy's progress, recorded at each tenth of the volume. */
export interface VolumeMigrationProgressed {
  readonly volumeId: string;
  readonly toPoolId: string;
  readonly copiedBytes: number;
  readonly totalBytes: number;
  readonly percent: number;
}

/**
 * The switch: the volume now lives on toPoolId under backendName. Recorded before the
 * source object is deleted; for copies, VolumeMigrationSourceDeleted (or ...DeletionFailed) follows.
 */
export interface VolumeMigrated {
  readonly volumeId: string;
  readonly fromPoolId: string;
  readonly toPoolId: string;
  readonly mode: MigrationMode;
  readonly sourceBackendName: string;
  readonly backendName: string;
  readonly sizeBytes: number;
  readonly path: string | null;
}

/** The volume stays where it was; a half-made destination copy was removed (or is left to drift to report). */
export interface VolumeMigrationFailed {
  readonly volumeId: string;
  readonly poolId: string;
  readonly toPoolId: string;
  readonly error: ErrorInfo;
}

export interface VolumeMigrationSourceDeleted {
  readonly volumeId: string;
  readonly poolId: string;
  readonly backendName: string;
}

/** The old copy could not be deleted: it is left on the source pool, where drift reports it as an orphan. */
export interface VolumeMigrationSourceDeletionFailed {
  readonly volumeId: string;
  readonly poolId: string;
  readonly backendName: string;
  readonly error: ErrorInfo;
}

/** One volume of a pool entering maintenance, and where it is planned to go. */
export interface MaintenanceMove {
  readonly volumeId: string;
  readonly destinationPoolId: string;
  readonly mode: MigrationMode;
}

/** Intent: the pool takes no new volumes or attaches, and its volumes are moved off one at a time. */
export interface PoolMaintenanceRequested {
  readonly poolId: string;
  readonly previousStatus: 'enabled' | 'disabled';
  /** The plan when asked; each move is planned again when its turn comes. */
  readonly moves: readonly MaintenanceMove[];
  readonly dataMoverHostId: string | null;
}

/** Every volume is off the pool. */
export interface PoolMaintenanceEntered {
  readonly poolId: string;
}

/** A move failed or could no longer be planned: the pool stays in maintenance (no new volumes) until cancelled. */
export interface PoolMaintenanceFailed {
  readonly poolId: string;
  readonly volumeId: string | null;
  readonly error: ErrorInfo;
}

export interface PoolMaintenanceCancelled {
  readonly poolId: string;
  readonly restoredStatus: 'enabled' | 'disabled';
}

/** A command that was refused: invalid input, or illegal for the aggregate's state. */
export interface CommandRejected {
  readonly commandId: string;
  readonly commandType: string;
  readonly aggregateId: string | null;
  readonly error: ErrorInfo;
  /** One entry per broken rule, naming the field; empty for state errors. */
  readonly violations: readonly { field: string; rule: string; message: string }[];
  /** Facts that explain a state error (e.g. the volumes that keep a pool from being deleted); never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface StorageEventDataMap {
  StoragePoolAdded: StoragePoolAdded;
  VolumeCreationRequested: VolumeCreationRequested;
  VolumeCreated: VolumeCreated;
  VolumeCreationFailed: VolumeCreationFailed;
  VolumeDeletionRequested: VolumeDeletionRequested;
  VolumeDeleted: VolumeDeleted;
  VolumeDeletionFailed: VolumeDeletionFailed;
  CommandRejected: CommandRejected;
  StoragePoolUpdated: StoragePoolUpdated;
  StoragePoolEnabled: StoragePoolEnabled;
  StoragePoolDisabled: StoragePoolDisabled;
  StoragePoolDeleted: StoragePoolDeleted;
  StoragePoolCapacityRefreshed: StoragePoolCapacityRefreshed;
  VolumeResizeRequested: VolumeResizeRequested;
  VolumeResized: VolumeResized;
  VolumeResizeFailed: VolumeResizeFailed;
  VolumeAttachRequested: VolumeAttachRequested;
  VolumeAttached: VolumeAttached;
  VolumeAttachFailed: VolumeAttachFailed;
  VolumeDetachRequested: VolumeDetachRequested;
  VolumeDetached: VolumeDetached;
  VolumeDetachFailed: VolumeDetachFailed;
  VolumeQosChangeRequested: VolumeQosChangeRequested;
  VolumeQosChanged: VolumeQosChanged;
  VolumeQosChangeFailed: VolumeQosChangeFailed;
  HostRegistered: HostRegistered;
  HostDeregistered: HostDeregistered;
  PoolDriftDetected: PoolDriftDetected;
  PoolDriftCleared: PoolDriftCleared;
  VolumeManaged: VolumeManaged;
  OrphanRemovalRequested: OrphanRemovalRequested;
  OrphanRemoved: OrphanRemoved;
  OrphanRemovalFailed: OrphanRemovalFailed;
  VolumeAllocated: VolumeAllocated;
  VolumeMigrationRequested: VolumeMigrationRequested;
  VolumeMigrationProgressed: VolumeMigrationProgressed;
  VolumeMigrated: VolumeMigrated;
  VolumeMigrationFailed: VolumeMigrationFailed;
  VolumeMigrationSourceDeleted: VolumeMigrationSourceDeleted;
  VolumeMigrationSourceDeletionFailed: VolumeMigrationSourceDeletionFailed;
  PoolMaintenanceRequested: PoolMaintenanceRequested;
  PoolMaintenanceEntered: PoolMaintenanceEntered;
  PoolMaintenanceFailed: PoolMaintenanceFailed;
  PoolMaintenanceCancelled: PoolMaintenanceCancelled;
}
export type StorageEventType = keyof StorageEventDataMap;

/** Intent: write the volume's content to the file (stream `export-<exportId>`). */
export interface VolumeExportRequested {
  readonly exportId: string;
  readonly volumeId: string;
  readonly poolId: string;
  readonly path: string;
  readonly format: 'qcow2' | 'raw';
  readonly dataMoverHostId: string;
}
export interface VolumeExported {
  readonly exportId: string;
  readonly volumeId: string;
  readonly path: string;
  /** Bytes the written file takes. */
  readonly fileSizeBytes: number;
}
export interface VolumeExportFailed {
  readonly exportId: string;
  readonly volumeId: string;
  readonly error: ErrorInfo;
}
