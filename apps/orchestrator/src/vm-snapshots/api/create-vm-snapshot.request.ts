import { ApiProperty } from '@nestjs/swagger';

/**
 * The documented shape of POST /vm-snapshots. Documentation only: the body is checked by the
 * CreateVmSnapshot command's own rules (@strata/contracts), the ones the snapshot service applies.
 */
export class CreateVmSnapshotRequest {
  @ApiProperty({ example: 'vm-4711', maxLength: 128, description: "The cloud's id of the VM (recorded, not checked)" })
  vmId!: string;

  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: 32, uniqueItems: true, description: "The VM's volumes, all on pools of one backend" })
  volumeIds!: string[];

  @ApiProperty({ example: 'before-upgrade', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;
}
