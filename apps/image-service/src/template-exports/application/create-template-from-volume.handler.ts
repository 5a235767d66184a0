import { Injectable } from '@nestjs/common';
import type { CreateTemplateFromVolumeData, Envelope } from '@strata/contracts';
import { commandMeta } from '@strata/service-kit';
import { ImageStoreCatalog } from '../../image-stores/application/image-store-catalog';
import { CONSUMER_GROUP } from '../../image.constants';
import { TemplateExportsStore } from '../infrastructure/template-exports.store';
import { TemplateExportDecisions } from './template-export-decisions';

/**
 * CreateTemplateFromVolume: the zone's image store (as for a download), the clone's size
 * from the view when it comes from a snapshot, then the intent and the first step (its
 * command sent through the outbox). The rest follows the storage service's outcomes
 * (TemplateExportOutcomesConsumer); whether the volume may be exported is the storage
 * service's to judge, and its refusal fails the template with its reason.
 */
@Injectable()
export class CreateTemplateFromVolumeHandler {
  constructor(
    private readonly decisions: TemplateExportDecisions,
    private readonly stores: ImageStoreCatalog,
    private readonly exports: TemplateExportsStore,
  ) {}

  async handle(command: Envelope<'CreateTemplateFromVolume', CreateTemplateFromVolumeData>): Promise<void> {
    const d = command.data;
    const store = await this.stores.forZone(d.zoneId);
    const snapshotId = d.snapshotId ?? null;
    const sourceSizeBytes = snapshotId !== null ? await this.exports.cloneSize(snapshotId, d.volumeId) : null;
    await this.decisions.execute(
      command.aggregateId,
      {
        type: 'CreateTemplateFromVolume',
        templateId: command.aggregateId,
        name: d.name,
        zoneId: d.zoneId,
        volumeId: d.volumeId,
        snapshotId,
        osType: d.osType,
        description: d.description,
        public: d.public,
        imageStoreId: store?.imageStoreId ?? null,
        sourceSizeBytes,
      },
      commandMeta(command),
      { consumer: CONSUMER_GROUP, messageId: command.messageId },
    );
  }
}
