import { ApiProperty } from '@nestjs/swagger';
import { VM_SNAPSHOT_STATUSES, type VmSnapshotRow } from '../../read-model/domain/rows';
import { VolumeErrorView } from '../../volumes/api/volume.view';

export class VmSnapshotMemberView {
  @ApiProperty({ format: 'uuid' }) volumeId!: string;
  @ApiProperty({ format: 'uuid', description: 'The pool the volume lived on when the VM snapshot was taken' }) poolId!: string;
  @ApiProperty({ description: "The volume's snapshot's name on the backend" }) snapshotBackendName!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'As the backend reports it; null until the VM snapshot is made' })
  sizeBytes!: number | null;
}

export class VmSnapshotView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: "The cloud's id of the VM" }) vmId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) tenant!: string | null;
  @ApiProperty({
    enum: VM_SNAPSHOT_STATUSES,
    description: 'creating until the backend has made it; reverting while the volumes are put back; error after a failed creation or deletion',
  })
  status!: string;
  @ApiProperty({ type: [VmSnapshotMemberView], description: 'One per volume, in the order the snapshot service recorded them' })
  members!: VmSnapshotMemberView[];
  @ApiProperty({ type: VolumeErrorView, nullable: true, description: 'Why the last operation (create, delete, revert) failed' })
  lastError!: VolumeErrorView | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class VmSnapshotPage {
  @ApiProperty({ type: [VmSnapshotView] }) items!: VmSnapshotView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export function toVmSnapshotView(row: VmSnapshotRow): VmSnapshotView {
  return {
    id: row.id,
    vmId: row.vmId,
    name: row.name,
    tenant: row.tenant,
    status: row.status,
    members: row.members.map((m) => ({ volumeId: m.volumeId, poolId: m.poolId, snapshotBackendName: m.snapshotBackendName, sizeBytes: m.sizeBytes })),
    lastError: row.lastError ? { code: row.lastError.code, category: row.lastError.category, message: row.lastError.message } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
