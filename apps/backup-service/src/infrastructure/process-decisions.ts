import { Inject, Injectable } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import type { Decider } from '@strata/kernel';
import { AggregateRunner, Clock, commandEnvelope, enqueueCommand, TOPICS, type CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import { ProcessesStore } from '../backups/infrastructure/processes.store';
import { BackupHost } from './backup-host';
import type { Outgoing } from './outgoing';

export interface Inbox {
  readonly consumer: string;
  readonly messageId: string;
}

type DomainEvent = { readonly type: string; readonly data: unknown };

/**
 * Decide, append, and send what the decision calls for, in one transaction: the events (to
 * the backup events topic), the step commands (outbox), the catalog and refs rows and, for
 * an incoming message, its inbox mark. A crash leaves all of it or none.
 *
 * Backups and restores differ only in their decider and in what each decided event writes
 * ({@link record}); the transaction around it is this one.
 */
@Injectable()
export abstract class ProcessDecisions<S, C, E extends DomainEvent> {
  protected abstract readonly decider: Decider<S, C, E>;

  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    protected readonly processes: ProcessesStore,
    protected readonly host: BackupHost,
    private readonly clock: Clock,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  protected abstract streamId(id: string): string;

  /** The rows one decided event writes and the commands it sends; `state` is the state before that event. */
  protected abstract record(m: EntityManager, event: E, state: S, command: C, meta: CommandMeta, now: Date): Promise<void>;

  async load(id: string): Promise<S> {
    return (await this.runner.load(this.decider, this.streamId(id))).state;
  }

  /** Events after the request report to its job: the request's id is their cause. */
  async metaOf(id: string, fallback: CommandMeta): Promise<CommandMeta> {
    return (await this.processes.meta(id)) ?? fallback;
  }

  async execute(id: string, command: C, meta: CommandMeta, inbox?: Inbox): Promise<{ events: E[]; state: S }> {
    let before: S = this.decider.initialState();
    return this.runner.execute(
      this.decider,
      this.streamId(id),
      id,
      (state) => {
        before = state;
        return command;
      },
      meta,
      { outboxTopic: this.topics.backupEvents, ...(inbox ? { inbox } : {}), alsoWrite: (m) => this.alsoWrite(m, before, command, meta) },
    );
  }

  /** Step commands to the storage or snapshot service, into the outbox of the decision's transaction. */
  protected async send(m: EntityManager, commands: readonly Outgoing[], meta: CommandMeta, now: Date): Promise<void> {
    for (const out of commands) {
      const topic = out.route === 'storage' ? this.topics.storageCommands : this.topics.snapshotCommands;
      await enqueueCommand(m, this.store, topic, commandEnvelope(out, meta, now));
    }
  }

  private async alsoWrite(m: EntityManager, before: S, command: C, meta: CommandMeta): Promise<void> {
    let state = before;
    const now = this.clock.now();
    // The same pure decision the runner appends, replayed to find what it sends.
    for (const event of this.decider.decide(command, before)) {
      await this.record(m, event, state, command, meta, now);
      state = this.decider.evolve(state, event);
    }
  }
}
