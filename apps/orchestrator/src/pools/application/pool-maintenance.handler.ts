import { Injectable } from '@nestjs/common';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { uuidFieldOf } from '../../commands/domain/command-request';
import { HostLookup } from '../../hosts/application/host-lookup';
import type { RequestContext } from '../../http/request-context';
import { optionalBody } from '../domain/pool-change-request';
import type { PoolCommandAccepted } from './change-pool.handler';
import { PoolLookup } from './pool-lookup';

/**
 * POST and DELETE /pools/{id}/maintenance: enter maintenance (EnterPoolMaintenance: every
 * volume is moved off, then the pool is held empty) or leave it (CancelPoolMaintenance).
 * The pool must be known and not deleted (404), a data-mover host named registered (404
 * host.not_found). Whether every volume can move, or the pool is in maintenance at all, is
 * the storage service's to decide: the job then fails with the reason (for a refused
 * maintenance, `details.volumes` names each volume that cannot move and why).
 */
@Injectable()
export class PoolMaintenanceHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly pools: PoolLookup,
    private readonly hosts: HostLookup,
  ) {}

  async enter(poolId: string, body: unknown, context: RequestContext): Promise<PoolCommandAccepted> {
    await this.pools.live(poolId);
    const data = optionalBody(body);
    const dataMoverHostId = uuidFieldOf(data, 'dataMoverHostId');
    if (dataMoverHostId) await this.hosts.live(dataMoverHostId);
    const jobId = await this.commands.submit('EnterPoolMaintenance', poolId, data, context);
    return { jobId, poolId };
  }

  /** Like every DELETE, it takes no body: whatever is sent is ignored. */
  async cancel(poolId: string, context: RequestContext): Promise<PoolCommandAccepted> {
    await this.pools.live(poolId);
    const jobId = await this.commands.submit('CancelPoolMaintenance', poolId, {}, context);
    return { jobId, poolId };
  }
}
