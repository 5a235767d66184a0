import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { vmSnapshotAlreadyDeleted, volumeAlreadyDeleted } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { optionalBody } from '../../pools/domain/pool-change-request';
import type { VolumeRow } from '../../read-model/domain/rows';
import { vmSnapshotVolumeIdsOf } from '../../snapshots/domain/snapshot-request';
import { VolumeLookup } from '../../volumes/application/volume-lookup';
import { vmSnapshotOwnerOf } from '../domain/vm-snapshot-request';
import { VmSnapshotLookup } from './vm-snapshot-lookup';

export interface VmSnapshotCommandAccepted {
  readonly jobId: string;
  readonly vmSnapshotId: string;
}

/**
 * The VM snapshot commands (to the snapshot service, through the same submitter and outbox
 * as every command). Every volume named must be visible to the caller (404, a tenant sees
 * only its own) and not deleted (409); the body must pass the command's rules. Whether the
 * volumes can be snapshotted together (one backend cluster, a backend with group snapshots,
 * each volume ready or attached) is the snapshot service's to decide: the job then fails
 * with the reason (vmsnapshot.*).
 */
@Injectable()
export class VmSnapshotCommandsHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly volumes: VolumeLookup,
    private readonly vmSnapshots: VmSnapshotLookup,
    private readonly ids: IdGenerator,
  ) {}

  /** POST /vm-snapshots { vmId, volumeIds, name }: a new VM snapshot id, owned by its volumes' tenant. */
  async create(body: unknown, context: RequestContext): Promise<VmSnapshotCommandAccepted> {
    const volumes: VolumeRow[] = [];
    for (const id of vmSnapshotVolumeIdsOf(body)) {
      const volume = await this.volumes.visible(id, context);
      if (volume.status === 'deleted') throw volumeAlreadyDeleted(id);
      volumes.push(volume);
    }
    const { tenant, violations } = vmSnapshotOwnerOf(volumes, context.tenant);
    const vmSnapshotId = this.ids.newId();
    const jobId = await this.commands.submit('CreateVmSnapshot', vmSnapshotId, body, { ...context, tenant }, violations);
    return { jobId, vmSnapshotId };
  }

  /** DELETE /vm-snapshots/{id}; a body sent with it is ignored, as for every DELETE. */
  async delete(vmSnapshotId: string, context: RequestContext): Promise<VmSnapshotCommandAccepted> {
    await this.live(vmSnapshotId, context);
    const jobId = await this.commands.submit('DeleteVmSnapshot', vmSnapshotId, {}, context);
    return { jobId, vmSnapshotId };
  }

  /** POST /vm-snapshots/{id}/revert: no body, or an empty object (unknown fields are refused). */
  async revert(vmSnapshotId: string, body: unknown, context: RequestContext): Promise<VmSnapshotCommandAccepted> {
    await this.live(vmSnapshotId, context);
    const jobId = await this.commands.submit('RevertToVmSnapshot', vmSnapshotId, optionalBody(body), context);
    return { jobId, vmSnapshotId };
  }

  private async live(vmSnapshotId: string, context: RequestContext): Promise<void> {
    const vmSnapshot = await this.vmSnapshots.visible(vmSnapshotId, context);
    if (vmSnapshot.status === 'deleted') throw vmSnapshotAlreadyDeleted(vmSnapshotId);
  }
}
