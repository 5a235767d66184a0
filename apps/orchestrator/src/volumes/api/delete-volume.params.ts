import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

/** DELETE /volumes/{id}?deleteSnapshots=true. */
export class DeleteVolumeParams {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description:
      "true: the volume's snapshots on the backend are deleted with it (its whole backend tree). Without it a volume with snapshots " +
      'is refused: the job fails with volume.has_snapshots, error.details.snapshots listing them',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  deleteSnapshots?: 'true' | 'false';
}

/** The DeleteVolume data the query asks for: deleteSnapshots only when given. */
export function deleteVolumeData(params: DeleteVolumeParams): { deleteSnapshots?: boolean } {
  return params.deleteSnapshots === undefined ? {} : { deleteSnapshots: params.deleteSnapshots === 'true' };
}
