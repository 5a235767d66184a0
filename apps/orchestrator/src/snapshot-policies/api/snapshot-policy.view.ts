import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SNAPSHOT_POLICY_STATUSES, type SnapshotPolicyRow } from '../../read-model/domain/rows';

export class SnapshotPolicyScheduleView {
  @ApiProperty({ enum: ['hourly', 'daily', 'weekly', 'monthly'] }) kind!: string;
  @ApiPropertyOptional({ type: 'integer', description: 'hourly: the minute of every hour' }) minute?: number;
  @ApiPropertyOptional({ description: 'daily, weekly, monthly: HH:MM in timeZone' }) time?: string;
  @ApiPropertyOptional({ type: 'integer', description: 'weekly: 0 = Sunday .. 6 = Saturday' }) dayOfWeek?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'monthly: 1-31; 29-31 run on the last day of shorter months' }) dayOfMonth?: number;
  @ApiProperty({ description: 'IANA time zone' }) timeZone!: string;
}

export class SnapshotPolicyView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) volumeId!: string;
  @ApiProperty({ type: String, nullable: true, description: "The volume's tenant" }) tenant!: string | null;
  @ApiProperty({ type: SnapshotPolicyScheduleView }) schedule!: SnapshotPolicyScheduleView;
  @ApiProperty({ type: 'integer', description: "The policy's snapshots kept" }) retention!: number;
  @ApiProperty({ enum: SNAPSHOT_POLICY_STATUSES }) status!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The due time of the newest run taken; null before the first' })
  lastRunDueAt!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The snapshot that run asked for' })
  lastSnapshotId!: string | null;
  @ApiProperty({ format: 'date-time', description: 'When the snapshot service created it: no run is due at or before it' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class SnapshotPolicyPage {
  @ApiProperty({ type: [SnapshotPolicyView] }) items!: SnapshotPolicyView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export function toSnapshotPolicyView(row: SnapshotPolicyRow): SnapshotPolicyView {
  return {
    id: row.id,
    volumeId: row.volumeId,
    tenant: row.tenant,
    schedule: { ...row.schedule },
    retention: row.retention,
    status: row.status,
    lastRunDueAt: row.lastRunDueAt ? row.lastRunDueAt.toISOString() : null,
    lastSnapshotId: row.lastSnapshotId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
