import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { snapshotAlreadyDeleted, snapshotNotReady, volumeAlreadyDeleted } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { optionalBody } from '../../pools/domain/pool-change-request';
import { VolumeLookup } from '../../volumes/application/volume-lookup';
import { createSnapshotData, volumeFromSnapshotData } from '../domain/snapshot-request';
import { SnapshotLookup } from './snapshot-lookup';

export interface SnapshotCommandAccepted {
  readonly jobId: string;
  readonly snapshotId: string;
}

export interface VolumeCommandAccepted {
  readonly jobId: string;
  readonly volumeId: string;
}

/**
 * The snapshot commands (to the snapshot service, through the same submitter and outbox as
 * every command). The volume or snapshot must be visible to the caller (404, a tenant sees
 * only its own) and not deleted (409); the body must pass the command's rules; then the job
 * and the command are written together. Whether the snapshot can be taken, deleted or
 * reverted now (the volume busy or attached, the backend without snapshots, the tree full,
 * only the latest snapshot revertible) is the snapshot service's to decide: the job then
 * fails with the reason.
 */
@Injectable()
export class SnapshotCommandsHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly volumes: VolumeLookup,
    private readonly snapshots: SnapshotLookup,
    private readonly ids: IdGenerator,
  ) {}

  /**
   * POST /volumes/{id}/snapshots: a new snapshot id, the volume from the path. The snapshot
   * belongs to the volume's owner (the envelope's tenant is the resource's owner), also when
   * an operator takes it: the tenant then sees it with its volume.
   */
  async create(volumeId: string, body: unknown, context: RequestContext): Promise<SnapshotCommandAccepted> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') throw volumeAlreadyDeleted(volumeId);
    const snapshotId = this.ids.newId();
    const { data, violations } = createSnapshotData(body, volumeId);
    const jobId = await this.commands.submit('CreateSnapshot', snapshotId, data, { ...context, tenant: volume.tenant }, violations);
    return { jobId, snapshotId };
  }

  /** DELETE /snapshots/{id}; a body sent with it is ignored, as for every DELETE. */
  async delete(snapshotId: string, context: RequestContext): Promise<SnapshotCommandAccepted> {
    await this.live(snapshotId, context);
    const jobId = await this.commands.submit('DeleteSnapshot', snapshotId, {}, context);
    return { jobId, snapshotId };
  }

  /** POST /snapshots/{id}/revert: no body, or an empty object (unknown fields are refused). */
  async revert(snapshotId: string, body: unknown, context: RequestContext): Promise<SnapshotCommandAccepted> {
    await this.live(snapshotId, context);
    const jobId = await this.commands.submit('RevertToSnapshot', snapshotId, optionalBody(body), context);
    return { jobId, snapshotId };
  }

  /**
   * POST /snapshots/{id}/volumes: a new volume made from the snapshot (CreateVolume with
   * fromSnapshot, to the storage service), on the snapshot's pool, as large as the snapshot
   * unless sizeBytes says more. The snapshot must be the caller's (404) and ready (409: the
   * backend has made it, and it is not being deleted or reverted). The volume belongs to the
   * snapshot's owner, also when an operator makes it.
   */
  async createVolume(snapshotId: string, body: unknown, context: RequestContext): Promise<VolumeCommandAccepted> {
    const snapshot = await this.snapshots.visible(snapshotId, context);
    if (snapshot.status === 'deleted') throw snapshotAlreadyDeleted(snapshotId);
    if (snapshot.status !== 'ready') throw snapshotNotReady(snapshotId, snapshot.status);
    const volumeId = this.ids.newId();
    const { data, violations } = volumeFromSnapshotData(body, snapshot);
    const jobId = await this.commands.submit('CreateVolume', volumeId, data, { ...context, tenant: snapshot.tenant }, violations);
    return { jobId, volumeId };
  }

  /**
   * PUT /volumes/{id}/snapshot-backup { backupSnapshots }: whether the volume's snapshots are
   * also backed up (SetSnapshotBackup, keyed by the volume, to the snapshot service). The
   * setting is the volume owner's, also when an operator sets it.
   */
  async setSnapshotBackup(volumeId: string, body: unknown, context: RequestContext): Promise<VolumeCommandAccepted> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') throw volumeAlreadyDeleted(volumeId);
    const jobId = await this.commands.submit('SetSnapshotBackup', volumeId, body, { ...context, tenant: volume.tenant });
    return { jobId, volumeId };
  }

  private async live(snapshotId: string, context: RequestContext): Promise<void> {
    const snapshot = await this.snapshots.visible(snapshotId, context);
    if (snapshot.status === 'deleted') throw snapshotAlreadyDeleted(snapshotId);
  }
}
