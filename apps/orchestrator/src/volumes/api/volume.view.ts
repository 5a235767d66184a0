import { ApiProperty } from '@nestjs/swagger';
import { MIGRATION_MODES, PROVISIONING_TYPES, VOLUME_STATUSES, type MigrationMode, type VolumeRow } from '../../read-model/domain/rows';

export class VolumeErrorView {
  @ApiProperty({ example: 'backend.unavailable' }) code!: string;
  @ApiProperty({ example: 'backend' }) category!: string;
  @ApiProperty() message!: string;
}

export class VolumeQosView {
  @ApiProperty({ type: 'integer', nullable: true }) iops!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) bandwidthBytesPerSecond!: number | null;
  @ApiProperty({ type: String, nullable: true }) tier!: string | null;
}

export class VolumeAttachmentView {
  @ApiProperty({ format: 'uuid' }) hostId!: string;
  @ApiProperty({ example: '/dev/drbd1000', description: 'The device the host sees' }) devicePath!: string;
  @ApiProperty({ format: 'date-time' }) attachedAt!: string;
}

export class AllocationCandidateView {
  @ApiProperty({ format: 'uuid' }) poolId!: string;
  @ApiProperty() fits!: boolean;
  @ApiProperty({ type: [String], description: 'Why it did not fit; empty when it did' }) reasons!: string[];
}

export class VolumeAllocationView {
  @ApiProperty({ example: 'first-fit' }) policy!: string;
  @ApiProperty({ type: [AllocationCandidateView] }) candidates!: AllocationCandidateView[];
}

export class VolumeMigrationView {
  @ApiProperty({ format: 'uuid', description: 'The pool the volume moves to (poolId is the one it leaves until the move is done)' })
  toPoolId!: string;
  @ApiProperty({ enum: MIGRATION_MODES, description: 'native: the backend moves it inside its cluster; copy: Strata copies its blocks through a data-mover host' })
  mode!: MigrationMode;
  @ApiProperty({ type: Number, nullable: true, minimum: 0, maximum: 100, description: "A copy's progress in percent; null before its first report and for native moves" })
  percent!: number | null;
}

export class VolumeSourceView {
  @ApiProperty({ format: 'uuid', description: 'The snapshot the volume was made from' }) snapshotId!: string;
  @ApiProperty({ format: 'uuid', description: 'The volume that snapshot was taken of' }) volumeId!: string;
}

export class VolumeView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid' }) poolId!: string;
  @ApiProperty({ type: String, nullable: true }) tenant!: string | null;
  @ApiProperty({ example: 'DATA' }) volumeType!: string;
  @ApiProperty({ description: 'Size in bytes, as the backend allocated it' }) sizeBytes!: number;
  @ApiProperty({
    enum: VOLUME_STATUSES,
    description: 'attached = ready with at least one host; allocated = placed with its space reserved, made on the backend at its first attach (deferCreation)',
  })
  status!: string;
  @ApiProperty({ type: String, nullable: true }) backendName!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'null until the volume is made on the backend' }) path!: string | null;
  @ApiProperty({ enum: PROVISIONING_TYPES }) provisioning!: string;
  @ApiProperty({ type: VolumeQosView, nullable: true, description: 'null: no limit' }) qos!: VolumeQosView | null;
  @ApiProperty({ type: [VolumeAttachmentView] }) attachments!: VolumeAttachmentView[];
  @ApiProperty({ type: 'integer', nullable: true, description: 'The size a resize in progress asked for' }) resizeToBytes!: number | null;
  @ApiProperty({
    type: VolumeAllocationView,
    nullable: true,
    description: 'How allocation chose the pool the volume was created on; null when the request named it',
  })
  allocation!: VolumeAllocationView | null;
  @ApiProperty({ type: VolumeMigrationView, nullable: true, description: 'The migration in flight (status migrating); null otherwise' })
  migration!: VolumeMigrationView | null;
  @ApiProperty({
    type: VolumeErrorView,
    nullable: true,
    description: 'Why the last operation (create, delete, resize, attach, detach, QoS, migration) failed',
  })
  lastError!: VolumeErrorView | null;
  @ApiProperty({ type: VolumeSourceView, nullable: true, description: 'The snapshot the volume was made from (POST /snapshots/{id}/volumes); null otherwise' })
  source!: VolumeSourceView | null;
  @ApiProperty({ description: "Whether the volume's snapshots are also backed up (PUT /volumes/{id}/snapshot-backup); false until set" })
  backupSnapshots!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class VolumePage {
  @ApiProperty({ type: [VolumeView] }) items!: VolumeView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export function toVolumeView(row: VolumeRow): VolumeView {
  return {
    id: row.id,
    name: row.name,
    poolId: row.poolId,
    tenant: row.tenant,
    volumeType: row.volumeType,
    sizeBytes: row.sizeBytes,
    status: row.status,
    backendName: row.backendName,
    path: row.path,
    provisioning: row.provisioning,
    qos: row.qos ? { iops: row.qos.iops, bandwidthBytesPerSecond: row.qos.bandwidthBytesPerSecond, tier: row.qos.tier } : null,
    attachments: row.attachments.map((a) => ({ hostId: a.hostId, devicePath: a.devicePath, attachedAt: a.attachedAt })),
    resizeToBytes: row.resizeToBytes,
    allocation: row.allocation
      ? { policy: row.allocation.policy, candidates: row.allocation.candidates.map((c) => ({ poolId: c.poolId, fits: c.fits, reasons: [...c.reasons] })) }
      : null,
    migration:
      row.migrationToPoolId !== null && row.migrationMode !== null
        ? { toPoolId: row.migrationToPoolId, mode: row.migrationMode, percent: row.migrationPercent }
        : null,
    lastError: row.lastError ? { code: row.lastError.code, category: row.lastError.category, message: row.lastError.message } : null,
    source: row.source ? { snapshotId: row.source.snapshotId, volumeId: row.source.volumeId } : null,
    backupSnapshots: row.backupSnapshots,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
