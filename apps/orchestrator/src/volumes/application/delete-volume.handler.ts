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

  /** `data` is DeleteVolume's: `{}`, or `{ deleteSnapshots }` (?deleteSnapshots=true to take the volume's snapshots with it). */
  async execute(volumeId: string, context: RequestContext, data: { deleteSnapshots?: boolean } = {}): Promise<{ jobId: string; volumeId: string }> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') throw volumeAlreadyDeleted(volumeId);
    const jobId = await this.commands.submit('DeleteVolume', volumeId, data, context);
    return { jobId, volumeId };
  }
}
