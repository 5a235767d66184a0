import { ApiProperty } from '@nestjs/swagger';

/**
 * The documented shape of POST /volumes/{id}/snapshots. Documentation only: the body is
 * checked by the CreateSnapshot command's own rules (@strata/contracts), the ones the
 * snapshot service applies, with the volume taken from the path.
 */
export class CreateSnapshotRequest {
  @ApiProperty({ example: 'before-upgrade', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  name!: string;
}
