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

/** A command that was refused: invalid input, or illegal for the aggregate's state. */
export interface CommandRejected {
  readonly commandId: string;
  readonly commandType: string;
  readonly aggregateId: string | null;
  readonly error: ErrorInfo;
  /** One entry per broken rule, naming the field; empty for state errors. */
  readonly violations: readonly { field: string; rule: string; message: string }[];
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
}
export type StorageEventType = keyof StorageEventDataMap;
