import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { CommandRejected, Envelope, ErrorInfo, Topics } from '@strata/contracts';
import { DuplicateMessageError, PgEventStore } from '@strata/event-store';
import type { MessageBus } from '@strata/messaging';
import { errorOf, MESSAGE_BUS, StorageEventsConsumer, TOPICS, type EventData as Data } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import { TemplateCatalog } from '../../templates/application/template-catalog';
import { TemplateEffects } from '../../templates/application/template-effects';
import type { TemplateExportCommand } from '../domain/template-export';
import { TemplateExportsStore } from '../infrastructure/template-exports.store';
import { TEMPLATE_EXPORTS_CONSUMER } from '../template-exports.constants';
import { TemplateExportDecisions } from './template-export-decisions';

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number';

/**
 * Feeds templates made from volumes, in a consumer group of its own: the volumes' and
 * snapshots' sizes into export_sources, and the outcomes of the commands the templates sent
 * (their temporary volume's and export's events, and CommandRejected answering them) into
 * the template's export decider, recorded under the template's registration (so its job
 * ends with it). Each event is claimed in the inbox in the transaction of what it causes.
 * Once the file is written, its verification starts in the background (TemplateEffects).
 */
@Injectable()
export class TemplateExportOutcomesConsumer extends StorageEventsConsumer {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(TOPICS) topics: Topics,
    private readonly store: PgEventStore,
    private readonly exports: TemplateExportsStore,
    private readonly decisions: TemplateExportDecisions,
    private readonly catalog: TemplateCatalog,
    private readonly effects: TemplateEffects,
  ) {
    super(bus, topics, TEMPLATE_EXPORTS_CONSUMER, 'TemplateExportOutcomes');
  }

  async apply(envelope: Envelope<string, Data>): Promise<void> {
    const d = envelope.data;
    switch (envelope.type) {
      case 'VolumeCreated':
        if (await this.outcome(envelope, d.volumeId, { type: 'RecordVolumeCreated', volumeId: d.volumeId as string })) return;
        return this.view(envelope, (m) => (str(d.volumeId) && num(d.sizeBytes) ? this.exports.sourceSeen(m, { id: d.volumeId, kind: 'volume', volumeId: d.volumeId, sizeBytes: d.sizeBytes }) : undefined));
      case 'VolumeManaged':
        return this.view(envelope, (m) => (str(d.volumeId) && num(d.sizeBytes) ? this.exports.sourceSeen(m, { id: d.volumeId, kind: 'volume', volumeId: d.volumeId, sizeBytes: d.sizeBytes }) : undefined));
      case 'VolumeResized':
      case 'VolumeMigrated':
        return this.view(envelope, (m) => (str(d.volumeId) && num(d.sizeBytes) ? this.exports.resized(m, d.volumeId, d.sizeBytes) : undefined));
      case 'VolumeDeleted':
        return this.view(envelope, (m) => (str(d.volumeId) ? this.exports.deleted(m, d.volumeId) : undefined));
      case 'SnapshotCreated':
        return this.view(envelope, (m) =>
          str(d.snapshotId) && str(d.volumeId) && num(d.sizeBytes) ? this.exports.sourceSeen(m, { id: d.snapshotId, kind: 'snapshot', volumeId: d.volumeId, sizeBytes: d.sizeBytes }) : undefined,
        );
      case 'SnapshotDeleted':
        return this.view(envelope, (m) => (str(d.snapshotId) ? this.exports.deleted(m, d.snapshotId) : undefined));
      case 'VolumeCreationFailed':
        await this.outcome(envelope, d.volumeId, { type: 'RecordVolumeCreationFailed', volumeId: d.volumeId as string, error: errorOf(d) });
        return;
      case 'VolumeExported':
        await this.outcome(envelope, d.exportId, { type: 'RecordVolumeExported', exportId: d.exportId as string, fileSizeBytes: Number(d.fileSizeBytes ?? 0) });
        return;
      case 'VolumeExportFailed':
        await this.outcome(envelope, d.exportId, { type: 'RecordVolumeExportFailed', exportId: d.exportId as string, error: errorOf(d) });
        return;
      case 'CommandRejected': {
        const rejected = d as unknown as CommandRejected;
        // The rejection's aggregate is the command's: our temporary volume or export.
        await this.outcome(envelope, rejected.aggregateId ?? envelope.aggregateId, { type: 'RecordCommandRejected', commandId: rejected.commandId, error: rejected.error });
        return;
      }
      default:
        return;
    }
  }

  private async view(envelope: Envelope, write: (m: EntityManager) => Promise<void> | undefined): Promise<void> {
    await this.store.transaction(async (m) => {
      if (await this.store.claim(m, TEMPLATE_EXPORTS_CONSUMER, envelope.messageId)) await write(m);
    });
  }

  /** False when the event is not about one of the templates' members. */
  private async outcome(envelope: Envelope, memberId: unknown, command: TemplateExportCommand): Promise<boolean> {
    if (!str(memberId)) return false;
    const templateId = await this.exports.templateOfMember(memberId);
    if (!templateId) return false;
    // Under the registration's causation, so the template's job moves with it.
    const intent = (await this.catalog.load(templateId)).intent;
    const meta = intent ?? { causationId: envelope.messageId, correlationId: envelope.correlationId, tenant: null };
    let events;
    try {
      events = await this.decisions.execute(templateId, command, meta, { consumer: TEMPLATE_EXPORTS_CONSUMER, messageId: envelope.messageId });
    } catch (error) {
      if (error instanceof DuplicateMessageError) return true;
      throw error;
    }
    if (events.length > 0) this.log.log(`template ${templateId}: ${envelope.type} of ${memberId} -> ${events.map((e) => e.type).join(', ')}`);
    else if (envelope.type === 'CommandRejected') this.log.warn(`template ${templateId}: a step's command was refused: ${(envelope.data as { error?: ErrorInfo }).error?.message}`);
    if (events.some((e) => e.type === 'TemplateTransferProgressed')) await this.effects.start(templateId);
    else if (command.type === 'RecordVolumeExported') await this.removeIfUnwanted(templateId, envelope.data as Data);
    return true;
  }

  /**
   * A file written after its template was deleted (the deletion found nothing to remove while
   * the export ran) is removed here; only the template's own file name is ever removed.
   */
  private async removeIfUnwanted(templateId: string, d: Data): Promise<void> {
    const { state } = await this.catalog.load(templateId);
    if (state.status !== 'deleting' && state.status !== 'deleted') return;
    if (!str(d.path) || path.basename(d.path) !== `${templateId}.qcow2`) return;
    await rm(d.path, { force: true });
    this.log.log(`template ${templateId}: removed ${d.path}, exported after the template's deletion`);
  }
}
