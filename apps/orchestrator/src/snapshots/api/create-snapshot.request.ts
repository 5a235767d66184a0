import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The documented shape of POST /volumes/{id}/snapshots. Documentation only: the body is
 * checked by the CreateSnapshot command's own rules (@strata/contracts), the ones the
 * snapshot service applies, with the volume taken from the path.
 */
export class CreateSnapshotRequest {
  @ApiProperty({ example: 'before-upgrade', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;
}

/** The documented shape of POST /snapshots/{id}/volumes (checked by CreateVolume's rules, with the pool and source of the snapshot). */
export class CreateVolumeFromSnapshotRequest {
  @ApiProperty({ example: 'restored-data', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: "The new volume's size; default: the snapshot's size (never smaller)" })
  sizeBytes?: number;
}

/** The documented shape of PUT /volumes/{id}/snapshot-backup (checked by SetSnapshotBackup's rules). */
export class SetSnapshotBackupRequest {
  @ApiProperty({ description: "Whether the volume's snapshots are also backed up by the backup service" })
  backupSnapshots!: boolean;
}
