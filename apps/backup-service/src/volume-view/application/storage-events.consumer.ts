import { Inject, Injectable } from '@nestjs/common';
import type { CommandRejected, Envelope, Topics } from '@strata/contracts';
import { DuplicateMessageError, PgEventStore } from '@strata/event-store';
import type { MessageBus } from '@strata/messaging';
import { errorOf, MESSAGE_BUS, StorageEventsConsumer, TOPICS, type CommandMeta, type EventData as Data } from '@strata/service-kit';
import { BackupDecisions } from '../../backups/application/backup-decisions';
import { BackupRuns } from '../../backups/application/backup-runs';
import type { StepOutcome } from '../../backups/domain/step-outcomes';
import { ProcessesStore } from '../../backups/infrastructure/processes.store';
import { RestoreDecisions } from '../../restores/application/restore-decisions';
import { RestoreRuns } from '../../restores/application/restore-runs';
import { VolumeViewStore } from '../infrastructure/volume-view.store';
import { outcomesConsumer, VOLUME_VIEW_CONSUMER } from '../volume-view.constants';

/**
 * Reads strata.storage.events and strata.snapshot.events in a consumer group of its own:
 * first into the view of volumes and snapshots (claimed in the inbox with the rows), then,
 * for an event caused by one of our commands or about a volume or snapshot a backup or
 * restore made, into that process's decider (claimed with its events). A redelivery does
 * nothing twice; events of other volumes are only viewed.
 */
@Injectable()
export class BackupStorageEventsConsumer extends StorageEventsConsumer {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(TOPICS) topics: Topics,
    private readonly store: PgEventStore,
    private readonly view: VolumeViewStore,
    private readonly processes: ProcessesStore,
    private readonly backups: BackupDecisions,
    private readonly restores: RestoreDecisions,
    private readonly backupRuns: BackupRuns,
    private readonly restoreRuns: RestoreRuns,
  ) {
    super(bus, topics, VOLUME_VIEW_CONSUMER, 'BackupStorageEvents');
  }

  async apply(envelope: Envelope<string, Data>): Promise<void> {
    await this.store.transaction(async (m) => {
      if (await this.store.claim(m, VOLUME_VIEW_CONSUMER, envelope.messageId)) await this.view.apply(m, envelope.type, envelope.data);
    });
    await this.route(envelope);
  }

  private async route(envelope: Envelope<string, Data>): Promise<void> {
    const d = envelope.data;
    const rejected = envelope.type === 'CommandRejected' ? (d as unknown as CommandRejected) : null;
    const refs = [envelope.causationId, envelope.aggregateId, rejected?.commandId].filter((x): x is string => typeof x === 'string');
    const concerned = await this.processes.processesOf(refs);
    if (!concerned.length) return;
    const outcome: StepOutcome = {
      event: envelope.type,
      causationId: envelope.causationId,
      aggregateId: typeof envelope.aggregateId === 'string' ? envelope.aggregateId : '',
      ...(rejected ? { commandId: rejected.commandId } : {}),
      ...(typeof d.hostId === 'string' ? { hostId: d.hostId } : {}),
      ...(typeof d.devicePath === 'string' ? { devicePath: d.devicePath } : {}),
      ...(d.error !== undefined ? { error: errorOf(d) } : {}),
    };
    const fallback: CommandMeta = { causationId: envelope.messageId, correlationId: envelope.correlationId, tenant: envelope.tenant };
    for (const { processId, kind } of concerned) {
      const inbox = { consumer: outcomesConsumer(processId), messageId: envelope.messageId };
      try {
        if (kind === 'backup') {
          const meta = await this.backups.metaOf(processId, fallback);
          const { events } = await this.backups.execute(processId, { type: 'RecordStepOutcome', outcome }, meta, inbox);
          if (events.length) this.log.log(`backup ${processId}: ${envelope.type} -> ${events.map((e) => e.type).join(', ')}`);
          if (events.some((e) => e.type === 'BackupSourceAttached')) this.backupRuns.start(processId, meta);
        } else {
          const meta = await this.restores.metaOf(processId, fallback);
          const { events } = await this.restores.execute(processId, { type: 'RecordStepOutcome', outcome }, meta, inbox);
          if (events.length) this.log.log(`restore ${processId}: ${envelope.type} -> ${events.map((e) => e.type).join(', ')}`);
          if (events.some((e) => e.type === 'RestoreTargetAttached')) this.restoreRuns.start(processId, meta);
        }
      } catch (error) {
        if (error instanceof DuplicateMessageError) continue;
        throw error;
      }
    }
  }
}
