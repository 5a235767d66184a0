import { Inject, Injectable } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { AggregateRunner, Clock, TOPICS, type CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import type { Inbox } from '../../backups/application/backup-decisions';
import { ProcessesStore } from '../../backups/infrastructure/processes.store';
import { BackupHost } from '../../infrastructure/backup-host';
import { enqueueCommand } from '../../infrastructure/outgoing';
import { restoreCommandsFor, restoreDecider, restoreStreamId, type RestoreCommand, type RestoreEvent, type RestoreState } from '../domain/restore';

/** As BackupDecisions, for restores: events, step commands, refs and the inbox mark in one transaction. */
@Injectable()
export class RestoreDecisions {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly processes: ProcessesStore,
    private readonly host: BackupHost,
    private readonly clock: Clock,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async load(restoreId: string): Promise<RestoreState> {
    return (await this.runner.load(restoreDecider, restoreStreamId(restoreId))).state;
  }

  async metaOf(restoreId: string, fallback: CommandMeta): Promise<CommandMeta> {
    return (await this.processes.meta(restoreId)) ?? fallback;
  }

  async execute(restoreId: string, command: RestoreCommand, meta: CommandMeta, inbox?: Inbox): Promise<{ events: RestoreEvent[]; state: RestoreState }> {
    let before: RestoreState = restoreDecider.initialState();
    return this.runner.execute(
      restoreDecider,
      restoreStreamId(restoreId),
      restoreId,
      (state) => {
        before = state;
        return command;
      },
      meta,
      { outboxTopic: this.topics.backupEvents, ...(inbox ? { inbox } : {}), alsoWrite: (m) => this.alsoWrite(m, before, command, meta) },
    );
  }

  private async alsoWrite(m: EntityManager, before: RestoreState, command: RestoreCommand, meta: CommandMeta): Promise<void> {
    let state = before;
    const now = this.clock.now();
    for (const event of restoreDecider.decide(command, before)) {
      if (event.type === 'RestoreRequested') {
        await this.processes.start(m, event.data.restoreId, 'restore', meta);
        // A new volume is ours alone: its events find the restore without a cause. The original is matched by our commands' ids only.
        if (event.data.mode === 'new') await this.processes.addRefs(m, event.data.restoreId, 'restore', [event.data.volumeId]);
      }
      if (event.type === 'RestoreStepRequested') {
        await this.processes.addRefs(m, event.data.restoreId, 'restore', [event.data.commandId]);
        for (const out of restoreCommandsFor(state, event, command, this.host.hostId)) await enqueueCommand(this.store, this.topics, m, out, meta, now);
      }
      state = restoreDecider.evolve(state, event);
    }
  }
}
