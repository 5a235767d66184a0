import { ApiProperty } from '@nestjs/swagger';
import { VOLUME_STATUSES, type VolumeRow } from '../../read-model/domain/rows';

export class VolumeErrorView {
  @ApiProperty({ example: 'backend.unavailable' }) code!: string;
  @ApiProperty({ example: 'backend' }) category!: string;
  @ApiProperty() message!: string;
}

export class VolumeView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid' }) poolId!: string;
  @ApiProperty({ type: String, nullable: true }) tenant!: string | null;
  @ApiProperty({ example: 'DATA' }) volumeType!: string;
  @ApiProperty({ description: 'Size in bytes, as the backend allocated it' }) sizeBytes!: number;
  @ApiProperty({ enum: VOLUME_STATUSES }) status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Deterministic name on the backend' }) backendName!: string | null;
  @ApiProperty({ type: String, nullable: true }) path!: string | null;
  @ApiProperty({ type: VolumeErrorView, nullable: true, description: 'Why the last create or delete failed' })
  lastError!: VolumeErrorView | null;
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
    lastError: row.lastError ? { code: row.lastError.code, category: row.lastError.category, message: row.lastError.message } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
