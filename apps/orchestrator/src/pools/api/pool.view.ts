import { ApiProperty } from '@nestjs/swagger';
import type { PoolRow } from '../../read-model/domain/rows';

export class PoolView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'file' }) plugin!: string;
  @ApiProperty() zoneId!: string;
  @ApiProperty({ type: String, nullable: true }) clusterId!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Plugin configuration, credentials removed' })
  config!: Record<string, unknown>;
  @ApiProperty({ example: 'enabled' }) status!: string;
  @ApiProperty({ description: 'Capacity the backend reports' }) capacityBytes!: number;
  @ApiProperty({ description: 'Space the backend reports as used' }) usedBytes!: number;
  @ApiProperty({ description: 'Sum of the sizes of the volumes that occupy the pool' }) allocatedBytes!: number;
  @ApiProperty({ description: 'Volumes that occupy the pool (not deleted, not failed to create)' }) volumeCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class PoolPage {
  @ApiProperty({ type: [PoolView] }) items!: PoolView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export function toPoolView(row: PoolRow): PoolView {
  return {
    id: row.id,
    name: row.name,
    plugin: row.plugin,
    zoneId: row.zoneId,
    clusterId: row.clusterId,
    tags: row.tags,
    config: row.config,
    status: row.status,
    capacityBytes: row.capacityBytes,
    usedBytes: row.usedBytes,
    allocatedBytes: row.allocatedBytes,
    volumeCount: row.volumeCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
