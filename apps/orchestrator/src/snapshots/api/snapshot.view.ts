import { ApiProperty } from '@nestjs/swagger';
import { SNAPSHOT_STATUSES, type SnapshotRow } from '../../read-model/domain/rows';
import { VolumeErrorView } from '../../volumes/api/volume.view';

export class SnapshotView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) volumeId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid', description: 'The pool the volume lived on when the snapshot was taken' }) poolId!: string;
  @ApiProperty({ type: String, nullable: true }) tenant!: string | null;
  @ApiProperty({
    enum: SNAPSHOT_STATUSES,
    description: 'creating until the backend has made it; reverting while its content is put back into the volume; error after a failed creation or deletion',
  })
  status!: string;
  @ApiProperty({ description: "The snapshot's name on the backend" }) backendName!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'As the backend reports it; null until the snapshot is made' })
  sizeBytes!: number | null;
  @ApiProperty({ description: "Whether it is also to be backed up by the backup service (its volume's setting when it was asked)" })
  backup!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'The snapshot policy that took it; null when asked for by hand' })
  policyId!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: "The policy's due time it was taken for" })
  dueAt!: string | null;
  @ApiProperty({ type: VolumeErrorView, nullable: true, description: 'Why the last operation (create, delete, revert) failed' })
  lastError!: VolumeErrorView | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class SnapshotPage {
  @ApiProperty({ type: [SnapshotView] }) items!: SnapshotView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export function toSnapshotView(row: SnapshotRow): SnapshotView {
  return {
    id: row.id,
    volumeId: row.volumeId,
    name: row.name,
    poolId: row.poolId,
    tenant: row.tenant,
    status: row.status,
    backendName: row.backendName,
    sizeBytes: row.sizeBytes,
    backup: row.backup,
    policyId: row.policyId,
    dueAt: row.dueAt ? row.dueAt.toISOString() : null,
    lastError: row.lastError ? { code: row.lastError.code, category: row.lastError.category, message: row.lastError.message } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
