import { Inject, Injectable } from '@nestjs/common';
import type { CommandRejected, Envelope, Topics } from '@strata/contracts';
import { DuplicateMessageError, PgEventStore } from '@strata/event-store';
import type { MessageBus } from '@strata/messaging';
import { errorOf, MESSAGE_BUS, StorageEventsConsumer, TOPICS, type CommandMeta, type EventData as Data } from '@strata/service-kit';
import { BASES_CONSUMER } from '../bases.constants';
import type { TemplateBaseCommand } from '../domain/template-base';
import { BasesStore } from '../infrastructure/bases.store';
import { BaseDecisions } from './base-decisions';
import { TemplateBases } from './template-bases';

/**
 * Feeds the bases from the storage and snapshot events, in a consumer group of its own:
 * the pools' zones (StoragePoolAdded/Deleted) into base_pools, and the outcomes of the
 * commands the bases sent (their volume's and snapshot's events, and CommandRejected
 * answering them) into the base's decider. Each event is claimed in the inbox in the
 * transaction of what it causes, so a redelivery after a crash does nothing twice; an event
 * for another attempt decides nothing. Events of other volumes and snapshots are skipped.
 */
@Injectable()
export class BaseOutcomesConsumer extends StorageEventsConsumer {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(TOPICS) topics: Topics,
    private readonly store: PgEventStore,
    private readonly bases: BasesStore,
    private readonly decisions: BaseDecisions,
    private readonly templateBases: TemplateBases,
  ) {
    super(bus, topics, BASES_CONSUMER, 'BaseOutcomes');
  }

  async apply(envelope: Envelope<string, Data>): Promise<void> {
    const d = envelope.data;
    switch (envelope.type) {
      case 'StoragePoolAdded':
        if (typeof d.poolId !== 'string' || typeof d.zoneId !== 'string') return;
        return this.onPool(envelope, (m) => this.bases.poolAdded(m, d.poolId as string, d.zoneId as string));
      case 'StoragePoolDeleted':
        if (typeof d.poolId !== 'string') return;
        return this.onPool(envelope, (m) => this.bases.poolDeleted(m, d.poolId as string));
      case 'VolumeCreated':
        return this.outcome(envelope, d.volumeId, { type: 'RecordVolumeCreated', volumeId: d.volumeId as string });
      case 'VolumeCreationFailed':
        return this.outcome(envelope, d.volumeId, { type: 'RecordVolumeCreationFailed', volumeId: d.volumeId as string, error: errorOf(d) });
      case 'VolumeDeleted':
        return this.outcome(envelope, d.volumeId, { type: 'RecordVolumeDeleted', volumeId: d.volumeId as string });
      case 'SnapshotCreated':
        return this.outcome(envelope, d.snapshotId, { type: 'RecordSnapshotCreated', snapshotId: d.snapshotId as string });
      case 'SnapshotCreationFailed':
        return this.outcome(envelope, d.snapshotId, { type: 'RecordSnapshotCreationFailed', snapshotId: d.snapshotId as string, error: errorOf(d) });
      case 'CommandRejected': {
        const rejected = d as unknown as CommandRejected;
        // The rejection's aggregate is the command's: our base volume or snapshot.
        return this.outcome(envelope, rejected.aggregateId ?? envelope.aggregateId, {
          type: 'RecordCommandRejected',
          commandId: rejected.commandId,
          error: rejected.error,
          ...(rejected.details ? { details: rejected.details } : {}),
        });
      }
      default:
        return;
    }
  }

  private async onPool(envelope: Envelope, write: Parameters<PgEventStore['transaction']>[0]): Promise<void> {
    await this.store.transaction(async (m) => {
      if (await this.store.claim(m, BASES_CONSUMER, envelope.messageId)) await write(m);
    });
  }

  private async outcome(envelope: Envelope, memberId: unknown, command: TemplateBaseCommand): Promise<void> {
    if (typeof memberId !== 'string') return;
    const baseId = await this.bases.baseOfMember(memberId);
    if (!baseId) return;
    const meta: CommandMeta = { causationId: envelope.messageId, correlationId: envelope.correlationId, tenant: null };
    let events;
    try {
      ({ events } = await this.decisions.execute(baseId, command, meta, { consumer: BASES_CONSUMER, messageId: envelope.messageId }));
    } catch (error) {
      if (error instanceof DuplicateMessageError) return;
      throw error;
    }
    if (events.some((e) => e.type === 'TemplateSpooled' || e.type === 'TemplateSpoolFailed')) {
      await this.templateBases.retireIfTemplateGone(baseId, meta);
    }
    if (events.length > 0) this.log.log(`base ${baseId}: ${envelope.type} of ${memberId} -> ${events.map((e) => e.type).join(', ')}`);
  }
}
