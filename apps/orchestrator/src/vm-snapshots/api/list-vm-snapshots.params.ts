import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageParams } from '../../http/list-params';
import { VM_SNAPSHOT_STATUSES, type VmSnapshotStatus } from '../../read-model/domain/rows';

/** GET /vm-snapshots. */
export class ListVmSnapshotsParams extends PageParams {
  @ApiPropertyOptional({ maxLength: 128, description: "The cloud's id of the VM (exact)" })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  vmId?: string;

  @ApiPropertyOptional({ enum: VM_SNAPSHOT_STATUSES, description: 'Deleted VM snapshots are listed only when asked for' })
  @IsOptional()
  @IsIn(VM_SNAPSHOT_STATUSES)
  status?: VmSnapshotStatus;
}
