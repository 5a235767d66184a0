import { ApiProperty } from '@nestjs/swagger';

export class ZoneView {
  @ApiProperty({ example: 'zone-1' }) id!: string;
  @ApiProperty({ description: 'Pools not deleted' }) pools!: number;
  @ApiProperty({ description: 'Registered hosts' }) hosts!: number;
  @ApiProperty({ description: 'Active image stores' }) imageStores!: number;
  @ApiProperty({ description: 'Distinct clusters of those pools and hosts' }) clusters!: number;
  @ApiProperty({ description: "Sum of the pools' capacity" }) capacityBytes!: number;
  @ApiProperty({ description: "Sum of the pools' used bytes (as their backends measure)" }) usedBytes!: number;
  @ApiProperty({ description: "Sum of what the pools' volumes were promised" }) allocatedBytes!: number;
  @ApiProperty() imageStoreCapacityBytes!: number;
  @ApiProperty() imageStoreFreeBytes!: number;
}

export class ZonePage {
  @ApiProperty({ type: [ZoneView] }) items!: ZoneView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export class ClusterView {
  @ApiProperty({ example: 'cluster-a' }) id!: string;
  @ApiProperty({ example: 'zone-1' }) zoneId!: string;
  @ApiProperty({ description: 'Pools not deleted' }) pools!: number;
  @ApiProperty({ description: 'Registered hosts' }) hosts!: number;
  @ApiProperty() capacityBytes!: number;
  @ApiProperty() usedBytes!: number;
  @ApiProperty() allocatedBytes!: number;
}

export class ClusterPage {
  @ApiProperty({ type: [ClusterView] }) items!: ClusterView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}
