import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import type { RequestContext } from '../../http/request-context';
import { createVolumeViolations } from '../domain/volume-request';

/**
 * The pool is not looked up here: the read model may not have caught up with a pool just
 * added, and the storage service decides anyway (an unknown pool fails the job). A volume
 * made from a snapshot is POST /snapshots/{id}/volumes' (fromSnapshot is refused here).
 */
@Injectable()
export class CreateVolumeHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly ids: IdGenerator,
  ) {}

  async execute(body: unknown, context: RequestContext): Promise<{ jobId: string; volumeId: string }> {
    const volumeId = this.ids.newId();
    const jobId = await this.commands.submit('CreateVolume', volumeId, body, context, createVolumeViolations(body));
    return { jobId, volumeId };
  }
}
