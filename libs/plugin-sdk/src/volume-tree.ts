/**
 * A volume with the snapshots and clones descended from it (PowerFlex's VTree). Every
 * backend reports one, even where the backend has no such notion (then the tree is the
 * volume and its own snapshots), so that limits and capacity are counted the same way.
 */
export interface VolumeTreeMember {
  readonly name: string;
  readonly kind: 'volume' | 'snapshot' | 'clone';
  /** The member it descends from; null for the root volume. */
  readonly parent: string | null;
  readonly sizeBytes: number;
  readonly allocatedBytes?: number;
}

export interface VolumeTree {
  /** The root volume's backend name. */
  readonly root: string;
  readonly members: readonly VolumeTreeMember[];
  /** Space the whole tree consumes on the backend. */
  readonly usedBytes: number;
  readonly snapshotCount: number;
  /** The manifest's snapshotsPerVolumeTree; null when unlimited. */
  readonly snapshotLimit: number | null;
}

export interface VolumeTreeOps {
  /** The tree the named volume belongs to; 'not_found' when there is no such volume. */
  getVolumeTree(volumeName: string): Promise<VolumeTree>;
  /** Deletes the volume with every snapshot and clone descended from it. Idempotent. */
  deleteVolumeTree(volumeName: string): Promise<void>;
}
