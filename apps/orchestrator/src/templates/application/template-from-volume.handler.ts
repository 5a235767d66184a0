import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { snapshotAlreadyDeleted, snapshotNotReady, volumeAlreadyDeleted } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { SnapshotLookup } from '../../snapshots/application/snapshot-lookup';
import { VolumeLookup } from '../../volumes/application/volume-lookup';
import { templateFromVolumeData } from '../domain/template-from-volume-request';
import type { TemplateCommandAccepted } from './template-commands.handler';

/**
 * Templates made from a volume's content (CreateTemplateFromVolume, to the image service):
 * the volume or snapshot must be the caller's (404) and not deleted (409; a snapshot also
 * ready). The template belongs to the source's owner, also when an operator makes it.
 * Whether the volume can be exported now (detached, idle) is the storage service's to judge:
 * the job then fails with its reason.
 */
@Injectable()
export class TemplateFromVolumeHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly volumes: VolumeLookup,
    private readonly snapshots: SnapshotLookup,
    private readonly ids: IdGenerator,
  ) {}

  /** POST /volumes/{id}/templates. */
  async fromVolume(volumeId: string, body: unknown, context: RequestContext): Promise<TemplateCommandAccepted> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') throw volumeAlreadyDeleted(volumeId);
    return this.submit(templateFromVolumeData(body, { volumeId }), volume.tenant, context);
  }

  /** POST /snapshots/{id}/templates: the snapshot's volume from the read model. */
  async fromSnapshot(snapshotId: string, body: unknown, context: RequestContext): Promise<TemplateCommandAccepted> {
    const snapshot = await this.snapshots.visible(snapshotId, context);
    if (snapshot.status === 'deleted') throw snapshotAlreadyDeleted(snapshotId);
    if (snapshot.status !== 'ready') throw snapshotNotReady(snapshotId, snapshot.status);
    return this.submit(templateFromVolumeData(body, { volumeId: snapshot.volumeId, snapshotId }), snapshot.tenant, context);
  }

  private async submit(request: ReturnType<typeof templateFromVolumeData>, tenant: string | null, context: RequestContext): Promise<TemplateCommandAccepted> {
    const templateId = this.ids.newId();
    const jobId = await this.commands.submit('CreateTemplateFromVolume', templateId, request.data, { ...context, tenant }, request.violations);
    return { jobId, templateId };
  }
}
