import { Injectable } from '@nestjs/common';
import type { StorageCommandType } from '@strata/contracts';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { volumeAlreadyDeleted } from '../../errors';
import { HostLookup } from '../../hosts/application/host-lookup';
import type { RequestContext } from '../../http/request-context';
import { hostIdOf } from '../domain/volume-request';
import { VolumeLookup } from './volume-lookup';

export interface VolumeCommandAccepted {
  readonly jobId: string;
  readonly volumeId: string;
}

/**
 * The commands on an existing volume: resize, attach, detach, QoS. Each is the same use
 * case with its own command and body: the volume must be visible to the caller (404, a
 * tenant sees only its own) and not deleted (409), an attach's host registered and a
 * detach's host known (404 host.not_found), the body must pass the command's rules, then
 * the job and the command are written together. Whether the volume may change now (busy
 * with another operation, already attached there, a shrink the backend refuses) is the
 * storage service's to decide on its own state: the job then fails with the reason.
 */
@Injectable()
export class ChangeVolumeHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly volumes: VolumeLookup,
    private readonly hosts: HostLookup,
  ) {}

  resize(volumeId: string, body: unknown, context: RequestContext): Promise<VolumeCommandAccepted> {
    return this.submit('ResizeVolume', volumeId, body, context);
  }

  async attach(volumeId: string, body: unknown, context: RequestContext): Promise<VolumeCommandAccepted> {
    return this.submit('AttachVolume', volumeId, body, context, async () => {
      const hostId = hostIdOf(body);
      if (hostId) await this.hosts.live(hostId);
    });
  }

  /** A host deregistered since may still hold the volume: detaching from it is allowed. */
  async detach(volumeId: string, body: unknown, context: RequestContext): Promise<VolumeCommandAccepted> {
    return this.submit('DetachVolume', volumeId, body, context, async () => {
      const hostId = hostIdOf(body);
      if (hostId) await this.hosts.find(hostId);
    });
  }

  changeQos(volumeId: string, body: unknown, context: RequestContext): Promise<VolumeCommandAccepted> {
    return this.submit('ChangeVolumeQos', volumeId, body, context);
  }

  private async submit(
    type: StorageCommandType,
    volumeId: string,
    body: unknown,
    context: RequestContext,
    checkMore: () => Promise<void> = async () => undefined,
  ): Promise<VolumeCommandAccepted> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') throw volumeAlreadyDeleted(volumeId);
    await checkMore();
    const jobId = await this.commands.submit(type, volumeId, body, context);
    return { jobId, volumeId };
  }
}
