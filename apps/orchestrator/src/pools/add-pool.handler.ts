import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import type { PoolAccepted } from '../commands/accepted.view';
import { CommandSubmitter } from '../commands/command-submitter';
import { ApiError } from '../http/api-error';
import type { RequestContext } from '../http/request-context';

@Injectable()
export class AddPoolHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly ids: IdGenerator,
  ) {}

  async execute(body: unknown, context: RequestContext): Promise<PoolAccepted> {
    // Pools are shared infrastructure: only operators add them.
    if (context.tenant !== null) throw new ApiError(403, 'pool.operator_only', 'only an operator (no X-Tenant) may add pools');
    const poolId = this.ids.newId();
    const jobId = await this.commands.submit('AddStoragePool', poolId, body, context);
    return { jobId, poolId };
  }
}
