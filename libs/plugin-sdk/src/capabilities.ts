import { BackendError, BackendErrorCode } from './errors';
import type { BackendVolume, PrimaryStorageDriver } from './driver';
import type { PluginCapabilities } from './manifest';

/**
 * Optional capabilities, each a small interface beside the core driver. A driver
 * implements one exactly when its manifest declares it (checkCapabilities verifies
 * this); callers ask `capable(driver, 'snapshot')` and get a typed driver or a clear
 * 'invalid' error, so an operation the backend cannot do is refused up front.
 *
 * Names given to these calls are deterministic backend names (backendObjectName with OBJECT_PREFIXES.snapshot),
 * and every call is idempotent in the same way as the core ones.
 */

export interface BackendSnapshot {
  /** The backend's name of the snapshot (unique within its volume tree). */
  readonly name: string;
  /** The volume it was taken of. */
  readonly volumeName: string;
  readonly sizeBytes: number;
  /** ISO 8601, when the backend reports it. */
  readonly createdAt?: string;
}

export interface SnapshotCapable {
  /** Idempotent: an existing snapshot of that name on that volume is returned. */
  createSnapshot(volumeName: string, snapshotName: string): Promise<BackendSnapshot>;
  /** Idempotent: a missing snapshot is success. */
  deleteSnapshot(volumeName: string, snapshotName: string): Promise<void>;
  /** Oldest first. */
  listSnapshots(volumeName: string): Promise<BackendSnapshot[]>;
}

export interface RevertCapable {
  /** Puts the snapshot's content back into the volume (manifest.capabilities.revert says which snapshots). */
  revertToSnapshot(volumeName: string, snapshotName: string): Promise<void>;
}

export interface CloneRequest {
  readonly sourceVolumeName: string;
  readonly snapshotName: string;
  /** Name of the new volume. */
  readonly name: string;
  /** Size of the new volume; at least the snapshot's. Omitted: the snapshot's size. */
  readonly sizeBytes?: number;
}

export interface CloneCapable {
  /** A new, independent-looking volume with the snapshot's content. Idempotent by name. */
  cloneFromSnapshot(request: CloneRequest): Promise<BackendVolume>;
}

export interface GroupSnapshotMember {
  readonly volumeName: string;
  readonly snapshotName: string;
}

export interface GroupSnapshotCapable {
  /** One crash-consistent point in time across all members (a VM's volumes). Idempotent. */
  createGroupSnapshot(groupName: string, members: readonly GroupSnapshotMember[]): Promise<BackendSnapshot[]>;
  /** Idempotent: members already gone are skipped. */
  deleteGroupSnapshot(groupName: string, members: readonly GroupSnapshotMember[]): Promise<void>;
}

export interface QosLimits {
  /** Null removes the limit. */
  readonly iops?: number | null;
  readonly bandwidthBytesPerSecond?: number | null;
  /** A named tier the backend enforces itself (StorPool qc tag); null removes it. */
  readonly tier?: string | null;
}

export interface QosCapable {
  /**
   * Applies limits to the volume. Backends that limit per mapping (PowerFlex SDC) apply
   * them to every host the volume is granted to, and again on each later grant.
   */
  setQos(volumeName: string, limits: QosLimits): Promise<void>;
}

export interface MigrationStatus {
  readonly state: 'running' | 'done' | 'failed';
  /** 0-100 when the backend reports it. */
  readonly progressPercent?: number;
  readonly message?: string;
}

export interface MigrationTarget {
  /** Identifies the backend cluster: two pools can move volumes natively between them only when equal. */
  readonly cluster: string;
  /** This pool as the backend names it: what startTreeMigration takes as destinationPool. */
  readonly pool: string;
}

export interface NativeMigrationCapable {
  /** Where this driver's pool is, for a native move into it from another pool of the same cluster. No backend call. */
  migrationTarget(): MigrationTarget;
  /**
   * Starts moving the volume's whole tree (snapshots and clones included) to another pool
   * of the same backend cluster; idempotent while running or done.
   */
  startTreeMigration(volumeName: string, destinationPool: string): Promise<void>;
  treeMigrationStatus(volumeName: string, destinationPool: string): Promise<MigrationStatus>;
}

/** Capability name -> the interface a driver then implements. */
export interface CapabilityInterfaces {
  snapshot: SnapshotCapable;
  revert: RevertCapable;
  clone: CloneCapable;
  groupSnapshot: GroupSnapshotCapable;
  qos: QosCapable;
  nativeMigration: NativeMigrationCapable;
}
export type CapabilityName = keyof CapabilityInterfaces;

const METHODS: { readonly [K in CapabilityName]: readonly (keyof CapabilityInterfaces[K])[] } = {
  snapshot: ['createSnapshot', 'deleteSnapshot', 'listSnapshots'],
  revert: ['revertToSnapshot'],
  clone: ['cloneFromSnapshot'],
  groupSnapshot: ['createGroupSnapshot', 'deleteGroupSnapshot'],
  qos: ['setQos'],
  nativeMigration: ['migrationTarget', 'startTreeMigration', 'treeMigrationStatus'],
};

/** What the manifest says about a capability. */
export function declares(capabilities: PluginCapabilities, capability: CapabilityName): boolean {
  switch (capability) {
    case 'revert':
      return capabilities.revert !== 'none';
    case 'qos':
      return capabilities.qosIops || capabilities.qosBandwidth || capabilities.qosTiers;
    default:
      return capabilities[capability];
  }
}

function implementsAll(driver: object, capability: CapabilityName): boolean {
  return METHODS[capability].every((method) => typeof (driver as Record<string, unknown>)[method as string] === 'function');
}

/** True when the driver both declares and implements the capability. */
export function supports<K extends CapabilityName>(
  driver: PrimaryStorageDriver,
  capability: K,
): driver is PrimaryStorageDriver & CapabilityInterfaces[K] {
  return declares(driver.manifest.capabilities, capability) && implementsAll(driver, capability);
}

/** The driver typed for the capability, or an 'invalid' error naming the backend and what it lacks. */
export function capable<K extends CapabilityName>(
  driver: PrimaryStorageDriver,
  capability: K,
): PrimaryStorageDriver & CapabilityInterfaces[K] {
  if (supports(driver, capability)) return driver;
  throw new BackendError(
    'invalid',
    BackendErrorCode.UnsupportedOperation,
    `the ${driver.manifest.name} backend does not support ${capability} (see its manifest's capabilities)`,
    { details: { capability, plugin: driver.manifest.name } },
  );
}

/**
 * Every mismatch between what a driver declares and what it implements, for the
 * conformance suite: a declared capability must be implemented, and an implemented one
 * declared (or callers would never use it).
 */
export function checkCapabilities(driver: PrimaryStorageDriver): string[] {
  const problems: string[] = [];
  for (const capability of Object.keys(METHODS) as CapabilityName[]) {
    const declared = declares(driver.manifest.capabilities, capability);
    const implemented = implementsAll(driver, capability);
    if (declared && !implemented) problems.push(`declares ${capability} but does not implement ${METHODS[capability].join(', ')}`);
    if (!declared && implemented) problems.push(`implements ${capability} but its manifest does not declare it`);
  }
  return problems;
}
