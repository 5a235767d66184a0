import { Injectable } from '@nestjs/common';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { volumeAlreadyDeleted } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { VolumeLookup } from './volume-lookup';

@Injectable()
export class DeleteVolumeHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly volumes: VolumeLookup,
  ) {}

  async execute(volumeId: string, context: RequestContext): Promise<{ jobId: string; volumeId: string }> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') throw volumeAlreadyDeleted(volumeId);
    const jobId = await this.commands.submit('DeleteVolume', volumeId, {}, context);
    return { jobId, volumeId };
  }
}
