import { Injectable } from '@nestjs/common';
import type { StorageCommandType } from '@strata/contracts';
import type { FieldViolation } from '@strata/kernel';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import type { RequestContext } from '../../http/request-context';
import { optionalBody, updatePoolViolations } from '../domain/pool-change-request';
import { PoolLookup } from './pool-lookup';

export interface PoolCommandAccepted {
  readonly jobId: string;
  readonly poolId: string;
}

/**
 * The commands on an existing pool: PATCH, enable, disable, DELETE, refresh-capacity,
 * reconcile and orphans/remove.
 * Each is the same use case with its own command and body: the pool must be known to the
 * read model and not deleted (404 otherwise), the body must pass the command's rules,
 * then the job and the command are written together. Whether the pool may change (it
 * still holds volumes, is already disabled) is the storage service's to decide, on its
 * own state: the job then fails with its reason.
 */
@Injectable()
export class ChangePoolHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly pools: PoolLookup,
  ) {}

  update(poolId: string, body: unknown, context: RequestContext): Promise<PoolCommandAccepted> {
    return this.submit('UpdateStoragePool', poolId, body, context, updatePoolViolations(body));
  }

  enable(poolId: string, body: unknown, context: RequestContext): Promise<PoolCommandAccepted> {
    return this.submit('EnableStoragePool', poolId, optionalBody(body), context);
  }

  disable(poolId: string, body: unknown, context: RequestContext): Promise<PoolCommandAccepted> {
    return this.submit('DisableStoragePool', poolId, optionalBody(body), context);
  }

  /** Like DELETE /volumes/{id}, a DELETE takes no body: whatever is sent is ignored. */
  delete(poolId: string, context: RequestContext): Promise<PoolCommandAccepted> {
    return this.submit('DeleteStoragePool', poolId, {}, context);
  }

  refreshCapacity(poolId: string, body: unknown, context: RequestContext): Promise<PoolCommandAccepted> {
    return this.submit('RefreshPoolCapacity', poolId, optionalBody(body), context);
  }

  /** Compare the backend's inventory with the log now; the job ends with the finding. */
  reconcile(poolId: string, body: unknown, context: RequestContext): Promise<PoolCommandAccepted> {
    return this.submit('ReconcilePool', poolId, optionalBody(body), context);
  }

  /** Delete an object no volume owns; the storage service checks it is a current orphan. */
  removeOrphan(poolId: string, body: unknown, context: RequestContext): Promise<PoolCommandAccepted> {
    return this.submit('RemoveOrphan', poolId, body, context);
  }

  private async submit(
    type: StorageCommandType,
    poolId: string,
    data: unknown,
    context: RequestContext,
    moreViolations: readonly FieldViolation[] = [],
  ): Promise<PoolCommandAccepted> {
    await this.pools.live(poolId);
    const jobId = await this.commands.submit(type, poolId, data, context, moreViolations);
    return { jobId, poolId };
  }
}
