/** The subset of StorPool's API types (python-storpool sptypes.py) the driver reads. */

export type Tags = Record<string, string>;

export interface VolumeSummary {
  readonly name: string;
  readonly size: number;
  readonly replication?: number;
  readonly globalId: string;
  readonly visibleVolumeId?: number;
  /** '' when the volume has no template. */
  readonly templateName: string;
  /** The volume's parent snapshot; '' for none. */
  readonly parentName: string;
  readonly iops?: number | '-';
  readonly bw?: number | '-';
  readonly tags?: Tags;
  readonly creationTimestamp?: number;
}

export interface SnapshotSummary extends VolumeSummary {
  /** The volume the snapshot was taken of. */
  readonly onVolume: string;
  readonly autoName?: boolean;
  readonly bound?: boolean;
  /** Deleted but kept until its children are gone. */
  readonly deleted?: boolean;
  /** Made internally by a baseOn copy; may be garbage-collected at any time. */
  readonly transient?: boolean;
}

export interface SpaceEntry {
  readonly name: string;
  readonly size: number;
  /** Client data bytes stored in this object alone. */
  readonly storedSize: number;
  readonly spaceUsed?: number;
}

export interface TemplateDesc {
  readonly name: string;
  readonly replication?: number | '-';
  readonly placeAll?: string;
  readonly placeTail?: string;
  readonly placeHead?: string;
}

export interface TemplateStatus extends TemplateDesc {
  readonly volumesCount: number;
  readonly snapshotsCount: number;
  /** Estimated client-data capacity and free space, after replication. */
  readonly stored: { readonly capacity: number; readonly free: number };
}

export interface AttachmentDesc {
  readonly volume: string;
  readonly snapshot: boolean;
  readonly client: number;
  readonly rights: 'rw' | 'ro';
  readonly pos: number;
  readonly globalId?: string;
}

export interface VolumeCreateResult {
  readonly ok: true;
  readonly generation: number;
  readonly name?: string;
  readonly globalId?: string;
  readonly autoName?: string;
}

export interface GroupSnapshotResult {
  readonly snapshots: readonly { volume: string; volumeGlobalId: string; snapshot: string; snapshotGlobalId: string }[];
}

export interface ReassignDesc {
  readonly volume?: string;
  readonly snapshot?: string;
  readonly rw?: readonly number[];
  readonly ro?: readonly number[];
  readonly detach?: readonly number[] | 'all';
  readonly force?: boolean;
}
