/**
 * The read models as plain rows: what the projection's pure functions take and return.
 * The TypeORM entities implement these, so nothing outside the edge sees an ORM type.
 */

/**
 * 'allocated': placed with its space reserved but not made on the backend yet (a deferred
 * creation, made at its first attach); 'attached' is 'ready' with at least one host granted;
 * 'resizing' between a resize and its outcome; 'migrating' between a migration request and
 * its outcome.
 */
export const VOLUME_STATUSES = ['allocated', 'creating', 'ready', 'attached', 'resizing', 'migrating', 'error', 'deleting', 'deleted'] as const;
export type VolumeStatus = (typeof VOLUME_STATUSES)[number];

export const JOB_STATUSES = ['accepted', 'running', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** 'maintenance' from PoolMaintenanceRequested until PoolMaintenanceCancelled (or deletion). */
export const POOL_STATUSES = ['enabled', 'disabled', 'maintenance', 'deleted'] as const;
export type PoolStatus = (typeof POOL_STATUSES)[number];

/** Where a pool in maintenance is: moving its volumes off, empty, or stopped by a failure. */
export const MAINTENANCE_PHASES = ['entering', 'in_maintenance', 'failed'] as const;
export type MaintenancePhase = (typeof MAINTENANCE_PHASES)[number];

/** How a volume moves: inside the backend cluster, or by block copy through a data-mover host. */
export const MIGRATION_MODES = ['native', 'copy'] as const;
export type MigrationMode = (typeof MIGRATION_MODES)[number];

/**
 * A volume snapshot on primary storage: 'creating' from SnapshotRequested to its outcome,
 * 'reverting' while its content is put back into the volume (a failed revert returns it to
 * 'ready' with lastError), 'error' after a failed creation or deletion.
 */
export const SNAPSHOT_STATUSES = ['creating', 'ready', 'reverting', 'error', 'deleting', 'deleted'] as const;
export type SnapshotStatus = (typeof SNAPSHOT_STATUSES)[number];

/**
 * A VM snapshot (one point in time across a VM's volumes): 'creating' from VmSnapshotRequested
 * to its outcome, 'reverting' while every member volume is put back (a failed revert returns
 * it to 'ready' with lastError), 'error' after a failed creation or deletion.
 */
export const VM_SNAPSHOT_STATUSES = ['creating', 'ready', 'reverting', 'error', 'deleting', 'deleted'] as const;
export type VmSnapshotStatus = (typeof VM_SNAPSHOT_STATUSES)[number];

/** A snapshot policy: 'active' from SnapshotPolicyCreated until SnapshotPolicyDeleted. */
export const SNAPSHOT_POLICY_STATUSES = ['active', 'deleted'] as const;
export type SnapshotPolicyStatus = (typeof SNAPSHOT_POLICY_STATUSES)[number];

export const HOST_STATUSES = ['registered', 'deregistered'] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

/** A pool's drift as its last reconciliation found it; never_reconciled until one is recorded. */
export const DRIFT_STATES = ['never_reconciled', 'drift', 'clear'] as const;
export type DriftState = (typeof DRIFT_STATES)[number];

export const ORPHAN_REMOVAL_STATUSES = ['requested', 'removed', 'failed'] as const;
export type OrphanRemovalStatus = (typeof ORPHAN_REMOVAL_STATUSES)[number];

export const PROVISIONING_TYPES = ['thin', 'thick'] as const;
export type Provisioning = (typeof PROVISIONING_TYPES)[number];

/** A pool's settings when its StoragePoolAdded (recorded before they existed) does not say. */
export const POOL_DEFAULTS = {
  hypervisors: [] as readonly string[],
  capacityIops: null,
  overProvisioningFactor: 1,
  allocationDisableThreshold: 0.85,
} as const;

export interface ErrorDetails {
  readonly code: string;
  readonly category: string;
  readonly message: string;
}

/** Why a pool's maintenance stopped, and the volume whose move failed (null when none did). */
export interface MaintenanceError extends ErrorDetails {
  readonly volumeId: string | null;
}

export interface JobError extends ErrorDetails {
  readonly violations: readonly { field: string; rule: string; message: string }[];
  /** Facts a rejection gave (e.g. { volumeIds } for pool.has_volumes, { candidates } for allocation.no_pool). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** QoS limits of a volume; null = no limit. */
export interface QosLimits {
  readonly iops: number | null;
  readonly bandwidthBytesPerSecond: number | null;
  readonly tier: string | null;
}

/** A host a volume is attached to. */
export interface VolumeAttachment {
  readonly hostId: string;
  readonly devicePath: string;
  readonly attachedAt: string;
}

/** How allocation chose a volume's pool (absent when the request named the pool). */
export interface AllocationRecord {
  readonly policy: string;
  readonly candidates: readonly { readonly poolId: string; readonly fits: boolean; readonly reasons: readonly string[] }[];
}

export interface PoolRow {
  id: string;
  name: string;
  plugin: string;
  zoneId: string;
  clusterId: string | null;
  tags: string[];
  config: Record<string, unknown>;
  status: PoolStatus;
  /** Why an operator disabled the pool; null when enabled, or disabled without a reason. */
  disabledReason: string | null;
  /** Hypervisors whose hosts may use the pool; empty = any. */
  hypervisors: string[];
  /** IOPS the pool can deliver; null when unknown. */
  capacityIops: number | null;
  /** Allocation may reach capacity times this (thin provisioning); 1 = none. */
  overProvisioningFactor: number;
  /** Fraction of the (over-provisioned) capacity past which nothing new is placed. */
  allocationDisableThreshold: number;
  /** Capacity as the backend last reported it (StoragePoolAdded, then StoragePoolCapacityRefreshed). */
  capacityBytes: number;
  usedBytes: number;
  /** When capacityBytes and usedBytes were last reported. */
  capacityMeasuredAt: Date;
  /** Sum of the sizes of the pool's volumes that hold space on it (see VolumeRow.allocated). */
  allocatedBytes: number;
  volumeCount: number;
  /** Set only while the pool is in maintenance (status 'maintenance'). */
  maintenancePhase: MaintenancePhase | null;
  /** Why maintenance failed (phase 'failed'); null otherwise. */
  maintenanceError: MaintenanceError | null;
  /** Stream version of the last pool event applied. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface VolumeRow {
  id: string;
  name: string;
  poolId: string;
  tenant: string | null;
  volumeType: string;
  sizeBytes: number;
  status: VolumeStatus;
  backendName: string | null;
  path: string | null;
  /** Why the last operation failed (create, delete, resize, attach, detach, QoS); cleared by the next success. */
  lastError: ErrorDetails | null;
  provisioning: Provisioning;
  /** null when the volume has no limit at all. */
  qos: QosLimits | null;
  /** Hosts the volume is attached to, in the order they were attached. */
  attachments: VolumeAttachment[];
  /** The size a resize in flight asked for: a grow already holds it on the pool. */
  resizeToBytes: number | null;
  allocation: AllocationRecord | null;
  /** The pool a migration in flight moves the volume to; null when none is (as the two below). */
  migrationToPoolId: string | null;
  migrationMode: MigrationMode | null;
  /** A copy's progress (0-100); null before its first report, and for native moves. */
  migrationPercent: number | null;
  /**
   * Whether the volume holds space on its pool: from the creation request (or from
   * VolumeAllocated, for a deferred creation: status 'allocated' is one case of it) until it
   * is deleted or its creation failed. Status alone cannot say it: 'error' is both a failed
   * create (nothing on the backend) and a failed delete (still there).
   */
  allocated: boolean;
  /**
   * The time of the last event that changed what the volume holds of its pool (see
   * `usageChanged`); absent or null before any. A pool projected after its volumes (a rebuild
   * replays partitions in parallel) takes its updatedAt from these.
   */
  usageChangedAt?: Date | null;
  /** The snapshot the volume was made from (a backend clone); null for any other volume. */
  source: VolumeSourceRow | null;
  /** Whether the volume's snapshots are also backed up (SnapshotBackupSet); false until set. */
  backupSnapshots: boolean;
  /**
   * Version of the last SnapshotBackupSet applied, in the snapshot service's settings stream
   * of the volume (not the volume's own stream); 0 before any.
   */
  backupSnapshotsVersion: number;
  /** Stream version of the last volume event applied. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The snapshot a volume was made from, and the volume that snapshot was taken of. */
export interface VolumeSourceRow {
  readonly snapshotId: string;
  readonly volumeId: string;
}

export interface SnapshotRow {
  /** The snapshot id (the snapshot service's aggregate). */
  id: string;
  volumeId: string;
  name: string;
  /** The pool the volume lived on when the snapshot was taken. */
  poolId: string;
  /** The owner of the snapshot command (its volume's tenant); null for an operator's. */
  tenant: string | null;
  /** The snapshot's name on the backend, and its volume's. */
  backendName: string;
  volumeBackendName: string | null;
  status: SnapshotStatus;
  /** As the backend reports it once made; null until then. */
  sizeBytes: number | null;
  /** Whether it is also to be backed up (its volume's setting when it was asked). */
  backup: boolean;
  /** The snapshot policy that took it, and the due time it ran for; null for a snapshot asked for by hand. */
  policyId: string | null;
  dueAt: Date | null;
  /** Why the last operation (create, delete, revert) failed; cleared by the next success. */
  lastError: ErrorDetails | null;
  /** Stream version of the last snapshot event applied. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** One volume of a VM snapshot; sizeBytes is null until the VM snapshot is made. */
export interface VmSnapshotMemberRow {
  readonly volumeId: string;
  readonly poolId: string;
  readonly volumeBackendName: string;
  readonly snapshotBackendName: string;
  readonly sizeBytes: number | null;
}

export interface VmSnapshotRow {
  /** The VM snapshot id (the snapshot service's aggregate). */
  id: string;
  /** The cloud's id of the VM (recorded, not checked). */
  vmId: string;
  name: string;
  /** The owner of the CreateVmSnapshot (its volumes' tenant); null for an operator's. */
  tenant: string | null;
  status: VmSnapshotStatus;
  members: VmSnapshotMemberRow[];
  /** Why the last operation (create, delete, revert) failed; cleared by the next success. */
  lastError: ErrorDetails | null;
  /** Stream version of the last VM snapshot event applied. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A policy's schedule as the snapshot service recorded it (checked, weekday names turned
 * into numbers): hourly at `minute`, daily at `time`, weekly on `dayOfWeek` (0 = Sunday) at
 * `time`, monthly on `dayOfMonth` at `time`, in the IANA `timeZone`.
 */
export interface SnapshotPolicyScheduleRow {
  readonly kind: string;
  readonly timeZone: string;
  readonly minute?: number;
  readonly time?: string;
  readonly dayOfWeek?: number;
  readonly dayOfMonth?: number;
}

export interface SnapshotPolicyRow {
  /** The policy id (the snapshot service's aggregate). */
  id: string;
  volumeId: string;
  /** Its volume's tenant (the owner of the CreateSnapshotPolicy command); null for an operator's volume. */
  tenant: string | null;
  schedule: SnapshotPolicyScheduleRow;
  /** Snapshots of the policy kept; beyond it the oldest are deleted. */
  retention: number;
  status: SnapshotPolicyStatus;
  /** The due time of the newest run taken, and the snapshot it asked for; null before the first. */
  lastRunDueAt: Date | null;
  lastSnapshotId: string | null;
  /** Stream version of the last policy event applied. */
  version: number;
  /** When the snapshot service created it: no run is due at or before this instant. */
  createdAt: Date;
  updatedAt: Date;
}

export interface JobRow {
  id: string;
  commandType: string;
  aggregateId: string | null;
  tenant: string | null;
  status: JobStatus;
  result: Record<string, unknown> | null;
  error: JobError | null;
  /** 0-100 while it runs, when its work reports it (a template's transfer, a deployment's steps); null otherwise. */
  progress?: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface HostIdentitiesRow {
  linstorNode?: string;
  powerflexSdc?: string;
  storpoolClientId?: number;
}

export interface HostRow {
  id: string;
  name: string;
  zoneId: string;
  clusterId: string | null;
  hypervisor: string;
  identities: HostIdentitiesRow;
  status: HostStatus;
  /** Stream version of the last host event applied. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DriftOrphan {
  readonly backendName: string;
  readonly sizeBytes: number;
}

export interface DriftMissing {
  readonly volumeId: string;
  readonly backendName: string;
}

/** An orphan removal asked for, and how it went. */
export interface OrphanRemovalRecord {
  readonly backendName: string;
  readonly status: OrphanRemovalStatus;
  readonly error: ErrorDetails | null;
  readonly updatedAt: string;
}

/** A pool's drift record: the latest PoolDriftDetected / PoolDriftCleared, and the orphan removals. */
export interface PoolDriftRow {
  poolId: string;
  state: DriftState;
  orphans: DriftOrphan[];
  missing: DriftMissing[];
  /** When the latest finding (drift or clear) was recorded; null until one is. */
  detectedAt: Date | null;
  removals: OrphanRemovalRecord[];
  /** Version of the last event applied, in the pool's drift stream (not the pool's own). */
  version: number;
  updatedAt: Date;
}

export interface AggregateEventRow {
  aggregateId: string;
  /**
   * Which of the aggregate's streams the event belongs to: '' for its own, 'drift' for a
   * pool's drift record (published under the pool id with versions of their own).
   */
  stream: string;
  streamVersion: number;
  messageId: string;
  type: string;
  occurredAt: Date;
  envelope: Record<string, unknown>;
}

/** 'removed' after ImageStoreRemoved; the row stays for the history. */
export const IMAGE_STORE_STATUSES = ['active', 'removed'] as const;
export type ImageStoreStatus = (typeof IMAGE_STORE_STATUSES)[number];

export interface ImageStoreRow {
  id: string;
  name: string;
  zoneId: string;
  path: string;
  /** Of the file system holding the directory, when it was added. */
  capacityBytes: number;
  freeBytes: number;
  status: ImageStoreStatus;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const TEMPLATE_STATUSES = ['registering', 'ready', 'failed', 'deleting', 'deleted'] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

export const TEMPLATE_COPY_STATUSES = ['transferring', 'ready', 'failed'] as const;
export type TemplateCopyStatus = (typeof TEMPLATE_COPY_STATUSES)[number];

/** A template's file on one zone's image store. */
export interface TemplateCopyRow {
  readonly imageStoreId: string;
  readonly zoneId: string;
  readonly status: TemplateCopyStatus;
  /** Relative to the image store's path; null until the file is in place. */
  readonly file: string | null;
  readonly error: ErrorDetails | null;
}

/** Where a template's file came from; a template made from a volume names it (and the snapshot, when made from one). */
export type TemplateSourceRow =
  | { kind: 'url'; url: string }
  | { kind: 'upload' }
  | { kind: 'volume'; volumeId: string }
  | { kind: 'snapshot'; volumeId: string; snapshotId: string };

export interface TemplateRow {
  id: string;
  name: string;
  kind: string;
  /** As declared at registration. */
  declaredFormat: string;
  /** As qemu-img read it; null until registered. */
  detectedFormat: string | null;
  status: TemplateStatus;
  copies: TemplateCopyRow[];
  virtualSizeBytes: number | null;
  physicalSizeBytes: number | null;
  sha256: string | null;
  /** The checksum given at registration ({algorithm, value}); null when none was. */
  checksumDeclared: { algorithm: string; value: string } | null;
  /** Of the registration's transfer; null before the first report or with no known total. */
  transferPercent: number | null;
  osType: string | null;
  description: string | null;
  public: boolean;
  /** Why the registration failed. */
  error: ErrorDetails | null;
  /** Null on rows projected before sources were kept. */
  source: TemplateSourceRow | null;
  tenant: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const TEMPLATE_BASE_STATUSES = ['spooling', 'ready', 'failed', 'retiring', 'removed'] as const;
export type TemplateBaseStatus = (typeof TEMPLATE_BASE_STATUSES)[number];

/** A template's cached base on one pool (the image service's): ROOT volumes are clones of its snapshot. */
export interface TemplateBaseRow {
  /** templateBaseId(templateId, poolId). */
  id: string;
  templateId: string;
  poolId: string;
  volumeId: string | null;
  snapshotId: string | null;
  status: TemplateBaseStatus;
  attempt: number;
  error: ErrorDetails | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** 'removed' after BackupTargetRemoved; the row stays for the history. */
export const BACKUP_TARGET_STATUSES = ['active', 'removed'] as const;
export type BackupTargetStatus = (typeof BACKUP_TARGET_STATUSES)[number];

/** The last garbage collection of a target, as the backup service reported it. */
export interface BackupGarbageCollectionRow {
  readonly status: 'succeeded' | 'failed';
  readonly manifests: number | null;
  readonly chunksKept: number | null;
  readonly chunksDeleted: number | null;
  readonly chunksTooYoung: number | null;
  readonly error: ErrorDetails | null;
  readonly at: string;
}

export interface BackupTargetRow {
  id: string;
  name: string;
  kind: string;
  /** The settings with every credential shown as "***" (only known fields are kept). */
  config: Record<string, unknown>;
  status: BackupTargetStatus;
  lastGarbageCollection: BackupGarbageCollectionRow | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A backup: 'requested' from BackupRequested, 'running' once its data is read, 'completed' /
 * 'failed' at its outcome, 'deleting' / 'deleted', and 'imported' for one read from a target's
 * manifest (made by another installation, restorable here).
 */
export const BACKUP_STATUSES = ['requested', 'running', 'completed', 'failed', 'deleting', 'deleted', 'imported'] as const;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];
export const BACKUP_KINDS = ['full', 'incremental'] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** The last verification of a backup: every chunk read back and hashed. */
export interface BackupVerificationRow {
  readonly result: 'succeeded' | 'failed';
  readonly chunksChecked: number | null;
  readonly badChunks: readonly string[];
  readonly error: ErrorDetails | null;
  readonly at: string;
}

export interface BackupRow {
  id: string;
  volumeId: string;
  targetId: string;
  /** The snapshot read; null for an imported backup (its snapshot is another installation's). */
  snapshotId: string | null;
  kind: BackupKind;
  /** The backup this one follows in its chain (null for a full one). */
  parentBackupId: string | null;
  status: BackupStatus;
  sizeBytes: number;
  chunks: number | null;
  newChunks: number | null;
  reusedChunks: number | null;
  zeroChunks: number | null;
  bytesWritten: number | null;
  /** Of the data step, 0-100; null before the first report. */
  progressPercent: number | null;
  lastVerification: BackupVerificationRow | null;
  error: ErrorDetails | null;
  /** The volume's owner; null for an operator's volume (and for an imported backup). */
  tenant: string | null;
  version: number;
  createdAt: Date;
  completedAt: Date | null;
  updatedAt: Date;
}

export const RESTORE_STATUSES = ['running', 'completed', 'failed'] as const;
export type RestoreStatus = (typeof RESTORE_STATUSES)[number];
export const RESTORE_MODES = ['new', 'original'] as const;
export type RestoreMode = (typeof RESTORE_MODES)[number];

export interface RestoreRow {
  id: string;
  backupId: string;
  /** The volume written: the new one the restore makes, or the backup's own (mode original). */
  volumeId: string;
  mode: RestoreMode;
  poolId: string;
  status: RestoreStatus;
  progressPercent: number | null;
  error: ErrorDetails | null;
  /** The RestoreBackup's owner (the backup's tenant). */
  tenant: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const BACKUP_SCHEDULE_STATUSES = ['active', 'deleted'] as const;
export type BackupScheduleStatus = (typeof BACKUP_SCHEDULE_STATUSES)[number];

export interface BackupScheduleRow {
  id: string;
  volumeId: string;
  targetId: string;
  /** As the backup service recorded it (the snapshot policies' shape). */
  schedule: Record<string, unknown>;
  retention: number;
  status: BackupScheduleStatus;
  lastRunDueAt: Date | null;
  lastBackupId: string | null;
  tenant: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The target kinds the API shows and filters by (the contracts' BACKUP_TARGET_KINDS). */
export const BACKUP_TARGET_KINDS_SHOWN = ['s3', 'directory'] as const;
