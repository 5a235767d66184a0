import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageParams } from '../../http/list-params';
import { SNAPSHOT_POLICY_STATUSES, type SnapshotPolicyStatus } from '../../read-model/domain/rows';

/** GET /volumes/{id}/snapshot-policies: the volume is the path's. */
export class ListVolumeSnapshotPoliciesParams extends PageParams {
  @ApiPropertyOptional({ enum: SNAPSHOT_POLICY_STATUSES, description: 'Deleted policies are listed only when asked for' })
  @IsOptional()
  @IsIn(SNAPSHOT_POLICY_STATUSES)
  status?: SnapshotPolicyStatus;
}

/** GET /snapshot-policies. */
export class ListSnapshotPoliciesParams extends ListVolumeSnapshotPoliciesParams {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  volumeId?: string;
}
