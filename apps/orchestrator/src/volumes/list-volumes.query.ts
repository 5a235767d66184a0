import { Injectable } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { DataSource } from 'typeorm';
import { toPage, type Page } from '../http/cursor';
import { pageOf, PageParams } from '../http/list-params';
import type { RequestContext } from '../http/request-context';
import { VOLUME_STATUSES, type VolumeStatus } from '../read-model/rows';
import { VolumeEntity } from '../read-model/volume.entity';
import { toVolumeView, type VolumeView } from './volume.view';

export class ListVolumesParams extends PageParams {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  poolId?: string;

  @ApiPropertyOptional({ enum: VOLUME_STATUSES, description: 'Deleted volumes are listed only when asked for' })
  @IsOptional()
  @IsIn(VOLUME_STATUSES)
  status?: VolumeStatus;

  @ApiPropertyOptional({ description: 'Exact name' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  name?: string;

  @ApiPropertyOptional({ description: 'Owner; a tenant (X-Tenant) only ever sees its own' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  tenant?: string;
}

/** Volumes in creation order, filtered, one keyset page at a time. */
@Injectable()
export class ListVolumesQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(params: ListVolumesParams, context: RequestContext): Promise<Page<VolumeView>> {
    const { after, limit } = pageOf(params);
    const q = this.dataSource
      .getRepository(VolumeEntity)
      .createQueryBuilder('v')
      .where('v.seq > :after', { after })
      .orderBy('v.seq', 'ASC')
      .limit(limit + 1);
    if (params.status) q.andWhere('v.status = :status', { status: params.status });
    else q.andWhere(`v.status <> 'deleted'`);
    if (params.poolId) q.andWhere('v.poolId = :poolId', { poolId: params.poolId });
    if (params.name !== undefined) q.andWhere('v.name = :name', { name: params.name });
    if (params.tenant !== undefined) q.andWhere('v.tenant = :tenant', { tenant: params.tenant });
    // A tenant's own scope is not a filter it can lift.
    if (context.tenant !== null) q.andWhere('v.tenant = :scope', { scope: context.tenant });
    return toPage(await q.getMany(), limit, toVolumeView);
  }
}
