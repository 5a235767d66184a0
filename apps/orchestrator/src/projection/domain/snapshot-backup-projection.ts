import type { SnapshotBackupSet } from '@strata/contracts';
import type { VolumeRow } from '../../read-model/domain/rows';

/** The latest SnapshotBackupSet recorded for a volume (from its history), and its settings stream version. */
export interface VolumeBackupSetting {
  readonly backupSnapshots: boolean;
  readonly version: number;
}

/**
 * A volume row just made by its first event, with a setting recorded before it was
 * projected (SnapshotBackupSet of a volume not projected yet is history only; the two topics
 * have no order between them, e.g. while the read models are rebuilt).
 */
export function withEarlierBackupSetting(volume: VolumeRow, setting: VolumeBackupSetting | null | undefined): VolumeRow {
  if (!setting || volume.backupSnapshotsVersion >= setting.version) return volume;
  return { ...volume, backupSnapshots: setting.backupSnapshots, backupSnapshotsVersion: setting.version };
}

/**
 * A volume after SnapshotBackupSet: whether its snapshots are also backed up. The event comes
 * from the snapshot service's settings stream of the volume (the volume id as aggregate, but
 * versions of its own), so it is ordered by backupSnapshotsVersion, not the volume's version,
 * and changes nothing else of the volume (not even updatedAt: the volume's own events do).
 * Undefined when already applied, or when the volume is not projected yet (the two topics
 * have no order between them); the event then is only history, which the volume's first
 * event reads it back from (withEarlierBackupSetting).
 */
export function applySnapshotBackupSet(current: VolumeRow | null, d: SnapshotBackupSet, streamVersion: number): VolumeRow | undefined {
  if (!current || current.backupSnapshotsVersion >= streamVersion) return undefined;
  return { ...current, backupSnapshots: d.backupSnapshots, backupSnapshotsVersion: streamVersion };
}
