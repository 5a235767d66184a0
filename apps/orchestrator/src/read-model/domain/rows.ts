/**
 * The read models as plain rows: what the projection's pure functions take and return.
 * The TypeORM entities implement these, so nothing outside the edge sees an ORM type.
 */

export const VOLUME_STATUSES = ['creating', 'ready', 'error', 'deleting', 'deleted'] as const;
export type VolumeStatus = (typeof VOLUME_STATUSES)[number];

export const JOB_STATUSES = ['accepted', 'running', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const POOL_STATUSES = ['enabled', 'disabled', 'deleted'] as const;
export type PoolStatus = (typeof POOL_STATUSES)[number];

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

export interface JobError extends ErrorDetails {
  readonly violations: readonly { field: string; rule: string; message: string }[];
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
  lastError: ErrorDetails | null;
  /**
   * Whether the volume holds space on its pool: from the creation request until it is
   * deleted or its creation failed. Status alone cannot say it: 'error' is both a failed
   * create (nothing on the backend) and a failed delete (still there).
   */
  allocated: boolean;
  /** Stream version of the last volume event applied. */
  version: number;
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
  createdAt: Date;
  updatedAt: Date;
}

export interface AggregateEventRow {
  aggregateId: string;
  streamVersion: number;
  messageId: string;
  type: string;
  occurredAt: Date;
  envelope: Record<string, unknown>;
}
