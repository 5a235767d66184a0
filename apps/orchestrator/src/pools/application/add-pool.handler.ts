import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import type { RequestContext } from '../../http/request-context';

@Injectable()
export class AddPoolHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly ids: IdGenerator,
  ) {}

  async execute(body: unknown, context: RequestContext): Promise<{ jobId: string; poolId: string }> {
    const poolId = this.ids.newId();
    const jobId = await this.commands.submit('AddStoragePool', poolId, body, context);
    return { jobId, poolId };
  }
}
