import { Injectable } from '@nestjs/common';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { uuidFieldOf } from '../../commands/domain/command-request';
import { volumeAlreadyDeleted } from '../../errors';
import { HostLookup } from '../../hosts/application/host-lookup';
import type { RequestContext } from '../../http/request-context';
import { PoolLookup } from '../../pools/application/pool-lookup';
import { optionalBody } from '../../pools/domain/pool-change-request';
import type { VolumeCommandAccepted } from './change-volume.handler';
import { VolumeLookup } from './volume-lookup';

/**
 * POST /volumes/{id}/migrate: moves a volume to another pool (MigrateVolume). The volume
 * must be known (404) and not deleted (409); a destination pool named must be known and not
 * deleted, a data-mover host named registered (404 pool.not_found / host.not_found); the
 * body must pass the command's rules; then the job and the command are written together.
 * Whether the volume can move there now (busy, attached for a copy, a destination that is
 * full, in another zone or on a backend that cannot take it) is the storage service's to
 * decide: the job then fails with the reason. Without destinationPoolId the storage
 * service's allocation picks a pool of the volume's zone.
 */
@Injectable()
export class MigrateVolumeHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly volumes: VolumeLookup,
    private readonly pools: PoolLookup,
    private readonly hosts: HostLookup,
  ) {}

  async execute(volumeId: string, body: unknown, context: RequestContext): Promise<VolumeCommandAccepted> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') throw volumeAlreadyDeleted(volumeId);
    const data = optionalBody(body);
    const destinationPoolId = uuidFieldOf(data, 'destinationPoolId');
    if (destinationPoolId) await this.pools.live(destinationPoolId);
    const dataMoverHostId = uuidFieldOf(data, 'dataMoverHostId');
    if (dataMoverHostId) await this.hosts.live(dataMoverHostId);
    const jobId = await this.commands.submit('MigrateVolume', volumeId, data, context);
    return { jobId, volumeId };
  }
}
