import { Injectable } from '@nestjs/common';
import type { VolumeAccepted } from '../commands/accepted.view';
import { CommandSubmitter } from '../commands/command-submitter';
import { ApiError } from '../http/api-error';
import type { RequestContext } from '../http/request-context';
import { VolumeLookup } from './volume-lookup';

@Injectable()
export class DeleteVolumeHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly volumes: VolumeLookup,
  ) {}

  async execute(volumeId: string, context: RequestContext): Promise<VolumeAccepted> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') {
      throw new ApiError(409, 'volume.already_deleted', `volume ${volumeId} is already deleted`);
    }
    const jobId = await this.commands.submit('DeleteVolume', volumeId, {}, context);
    return { jobId, volumeId };
  }
}
