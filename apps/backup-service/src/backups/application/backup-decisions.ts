import { Inject, Injectable } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { AggregateRunner, Clock, TOPICS, type CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import { BackupHost } from '../../infrastructure/backup-host';
import { enqueueCommand } from '../../infrastructure/outgoing';
import { backupDecider, backupIds, backupStreamId, commandsFor, type BackupCommand, type BackupEvent, type BackupState } from '../domain/backup';
import { ProcessesStore } from '../infrastructure/processes.store';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Inbox {
  readonly consumer: string;
  readonly messageId: string;
}

/**
 * Decide, append, and send what the decision calls for, in one transaction: the events (to
 * the backup events topic), the step commands (outbox), the catalog and refs rows and, for
 * an incoming message, its inbox mark. A crash leaves all of it or none.
 */
@Injectable()
export class BackupDecisions {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly processes: ProcessesStore,
    private readonly host: BackupHost,
    private readonly clock: Clock,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async load(backupId: string): Promise<BackupState> {
    return (await this.runner.load(backupDecider, backupStreamId(backupId))).state;
  }

  /** Events after the request report to its job: the request's id is their cause. */
  async metaOf(backupId: string, fallback: CommandMeta): Promise<CommandMeta> {
    return (await this.processes.meta(backupId)) ?? fallback;
  }

  async execute(backupId: string, command: BackupCommand, meta: CommandMeta, inbox?: Inbox): Promise<{ events: BackupEvent[]; state: BackupState }> {
    let before: BackupState = backupDecider.initialState();
    return this.runner.execute(
      backupDecider,
      backupStreamId(backupId),
      backupId,
      (state) => {
        before = state;
        return command;
      },
      meta,
      { outboxTopic: this.topics.backupEvents, ...(inbox ? { inbox } : {}), alsoWrite: (m) => this.alsoWrite(m, before, command, meta) },
    );
  }

  private async alsoWrite(m: EntityManager, before: BackupState, command: BackupCommand, meta: CommandMeta): Promise<void> {
    let state = before;
    const now = this.clock.now();
    // The same pure decision the runner appends, replayed to find what it sends.
    for (const event of backupDecider.decide(command, before)) {
      switch (event.type) {
        case 'BackupRequested': {
          const d = event.data;
          await this.processes.start(m, d.backupId, 'backup', meta);
          await this.processes.recordBackup(m, d.backupId, d.volumeId, d.targetId);
          // The derived volume and snapshot: their events find this backup even without a cause.
          const refs = d.snapshotTaken ? [d.snapshotId] : [];
          await this.processes.addRefs(m, d.backupId, 'backup', [...refs, backupIds.cloneId(d.backupId)]);
          break;
        }
        case 'BackupStepRequested':
          await this.processes.addRefs(m, event.data.backupId, 'backup', [event.data.commandId]);
          for (const out of commandsFor(state, event, this.host.hostId)) await enqueueCommand(this.store, this.topics, m, out, meta, now);
          break;
        case 'BackupCompleted':
          await this.processes.backupStatus(m, event.data.backupId, 'completed', now);
          break;
        case 'BackupFailed':
          await this.processes.backupStatus(m, event.data.backupId, 'failed');
          break;
        case 'BackupDeletionRequested':
          await this.processes.backupStatus(m, event.data.backupId, 'deleting');
          break;
        case 'BackupDeleted':
          await this.processes.backupStatus(m, event.data.backupId, 'deleted');
          break;
        case 'BackupImported': {
          const d = event.data;
          await this.processes.start(m, d.backupId, 'backup', meta);
          // In the catalog like a backup made here (a chain's parent, the target's backups), if its volume id fits the column.
          if (UUID.test(d.volumeId)) {
            await this.processes.recordBackup(m, d.backupId, d.volumeId, d.targetId);
            await this.processes.backupStatus(m, d.backupId, 'completed', new Date(d.createdAt));
          }
          break;
        }
        default:
          break;
      }
      state = backupDecider.evolve(state, event);
    }
  }
}
