import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageParams } from '../../http/list-params';
import { SNAPSHOT_STATUSES, type SnapshotStatus } from '../../read-model/domain/rows';

/** GET /volumes/{id}/snapshots: the volume is the path's. */
export class ListVolumeSnapshotsParams extends PageParams {
  @ApiPropertyOptional({ enum: SNAPSHOT_STATUSES, description: 'Deleted snapshots are listed only when asked for' })
  @IsOptional()
  @IsIn(SNAPSHOT_STATUSES)
  status?: SnapshotStatus;
}

/** GET /snapshots. */
export class ListSnapshotsParams extends ListVolumeSnapshotsParams {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  volumeId?: string;
}
