import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import type { RequestContext } from '../../http/request-context';
import { PoolLookup } from '../../pools/application/pool-lookup';
import { poolIdOf } from '../domain/volume-request';
import type { VolumeCommandAccepted } from './change-volume.handler';

/**
 * POST /volumes/manage: adopts a backend object no volume owns (an orphan a reconciliation
 * reported) as a new volume, whose id is chosen here. The pool must be known and not
 * deleted (404); whether the object is a current orphan is the storage service's to check.
 */
@Injectable()
export class ManageVolumeHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly ids: IdGenerator,
    private readonly pools: PoolLookup,
  ) {}

  async execute(body: unknown, context: RequestContext): Promise<VolumeCommandAccepted> {
    const poolId = poolIdOf(body);
    if (poolId) await this.pools.live(poolId);
    const volumeId = this.ids.newId();
    const jobId = await this.commands.submit('ManageVolume', volumeId, body, context);
    return { jobId, volumeId };
  }
}
