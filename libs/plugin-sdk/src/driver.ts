import type { PluginManifest } from './manifest';
import type { VolumeTreeOps } from './volume-tree';

/**
 * The core interface every primary-storage backend implements (Cinder's
 * VolumeDriverCore, cut to what the storage service needs). Optional features
 * come as separate capability interfaces declared in the manifest, so that
 * this one stays small.
 *
 * Rules for every method:
 * - Failures reject with a BackendError (see errors.ts); nothing else escapes.
 * - Names are the deterministic names from backendVolumeName, so that a retry
 *   after a crash finds what the first attempt made.
 * - Sizes are bytes, already rounded to limits.sizeGranularityBytes by the
 *   caller; a driver refuses (kind 'invalid') a size it would have to change.
 * - Calls for one volume are serialised by the caller (one aggregate at a
 *   time); drivers need not guard against concurrent calls on the same name.
 * - Error messages never contain credentials.
 */

export interface BackendVolume {
  /** The backend's name of the volume. */
  readonly name: string;
  /** Virtual size, as the hypervisor sees it. */
  readonly sizeBytes: number;
  /** Space actually consumed, when the backend reports it (thin volumes use less than sizeBytes). */
  readonly allocatedBytes?: number;
  /** Where the backend keeps it, when that means something (the file backend: the file). */
  readonly path?: string;
}

export interface BackendCapacity {
  readonly totalBytes: number;
  readonly usedBytes: number;
  readonly freeBytes: number;
}

export interface CreateVolumeRequest {
  readonly name: string;
  readonly sizeBytes: number;
  /** Thin (allocate on write) or thick; when omitted the driver provisions thin if it can. */
  readonly thin?: boolean;
}

export interface ResizeOptions {
  /** Shrinking destroys the data past the new end, so it happens only when asked for explicitly. */
  readonly allowShrink: boolean;
}

export interface AccessGrant {
  /** What the host opens to reach the volume (a block device or, for the file backend, the file). */
  readonly devicePath: string;
}

/** The core; VolumeTreeOps are core too, since every backend has trees (often of one). */
export interface PrimaryStorageDriver extends VolumeTreeOps {
  readonly manifest: PluginManifest;

  /** Validates the configuration against the real backend and reaches it; call before anything else. Idempotent. */
  connect(): Promise<void>;

  /** Capacity of the pool by the backend's own rules; totalBytes >= usedBytes, freeBytes <= totalBytes. */
  getCapacity(): Promise<BackendCapacity>;

  /**
   * Idempotent: when a volume of that name and size exists it is returned;
   * when a crashed attempt left it half made it is finished; a same-name
   * volume of a different size is a 'conflict'.
   */
  createVolume(request: CreateVolumeRequest): Promise<BackendVolume>;

  /** Idempotent: a missing volume is success. */
  deleteVolume(name: string): Promise<void>;

  /**
   * Sets the volume's size; the current size is a no-op. Shrinking without
   * options.allowShrink is refused ('invalid'); a missing volume is 'not_found'.
   */
  resizeVolume(name: string, sizeBytes: number, options: ResizeOptions): Promise<BackendVolume>;

  /** Lets the host (its backend identity: LINSTOR node, PowerFlex SDC, StorPool client) use the volume. Idempotent. */
  grantAccess(name: string, host: string): Promise<AccessGrant>;

  /** Idempotent: revoking access that is not granted, or on a missing volume, is success. */
  revokeAccess(name: string, host: string): Promise<void>;

  /** The backend's own inventory of volumes in this pool, for reconciliation with the event log. */
  listVolumes(): Promise<BackendVolume[]>;

  /** Releases connections and timers; the driver is not used afterwards. */
  close(): Promise<void>;
}
