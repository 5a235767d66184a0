import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import type { RequestContext } from '../../http/request-context';

export interface HostCommandAccepted {
  readonly jobId: string;
  readonly hostId: string;
}

/** POST /hosts: the host gets its id here; whether its name is taken is the storage service's to decide. */
@Injectable()
export class RegisterHostHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly ids: IdGenerator,
  ) {}

  async execute(body: unknown, context: RequestContext): Promise<HostCommandAccepted> {
    const hostId = this.ids.newId();
    const jobId = await this.commands.submit('RegisterHost', hostId, body, context);
    return { jobId, hostId };
  }
}
