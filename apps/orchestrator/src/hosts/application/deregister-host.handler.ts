import { Injectable } from '@nestjs/common';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import type { RequestContext } from '../../http/request-context';
import { HostLookup } from './host-lookup';
import type { HostCommandAccepted } from './register-host.handler';

/**
 * DELETE /hosts/{id}: 404 for a host the read model does not know or shows deregistered.
 * Whether it may go (volumes still attached to it) is the storage service's to decide:
 * the job then fails with the reason.
 */
@Injectable()
export class DeregisterHostHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly hosts: HostLookup,
  ) {}

  async execute(hostId: string, context: RequestContext): Promise<HostCommandAccepted> {
    await this.hosts.live(hostId);
    const jobId = await this.commands.submit('DeregisterHost', hostId, {}, context);
    return { jobId, hostId };
  }
}
