import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HOST_STATUSES, type HostRow } from '../../read-model/domain/rows';

export class HostIdentitiesView {
  @ApiPropertyOptional({ example: 'kvm-01', description: 'The LINSTOR satellite node name' }) linstorNode?: string;
  @ApiPropertyOptional({ example: '6b3a1c0e00000001', description: 'The PowerFlex SDC id or IP address' }) powerflexSdc?: string;
  @ApiPropertyOptional({ example: 12, description: 'The StorPool client id' }) storpoolClientId?: number;
}

export class HostView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() zoneId!: string;
  @ApiProperty({ type: String, nullable: true }) clusterId!: string | null;
  @ApiProperty({ example: 'kvm' }) hypervisor!: string;
  @ApiProperty({ type: HostIdentitiesView, description: "The host's identity on each backend; empty for file pools only" })
  identities!: HostIdentitiesView;
  @ApiProperty({ enum: HOST_STATUSES, description: 'A deregistered host is listed only when asked for' }) status!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class HostPage {
  @ApiProperty({ type: [HostView] }) items!: HostView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export function toHostView(row: HostRow): HostView {
  return {
    id: row.id,
    name: row.name,
    zoneId: row.zoneId,
    clusterId: row.clusterId,
    hypervisor: row.hypervisor,
    identities: { ...row.identities },
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
