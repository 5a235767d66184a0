import { Inject, Injectable } from '@nestjs/common';
import type { Envelope, Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { AggregateRunner, Clock, commandEnvelope, crashPoint, enqueueCommand, TOPICS, type CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import {
  commandsFor,
  templateBaseDecider,
  templateBaseStreamId,
  type OutgoingCommand,
  type TemplateBaseCommand,
  type TemplateBaseEvent,
  type TemplateBaseState,
} from '../domain/template-base';
import { BasesStore } from '../infrastructure/bases.store';

/** The crash point after the commit of an event that sent its step's command. */
const STEP_CRASH_POINTS: Partial<Record<TemplateBaseEvent['type'], string>> = {
  TemplateSpoolRequested: 'spool.after-volume-requested',
  TemplateBaseVolumeCreated: 'spool.after-snapshot-requested',
  TemplateSpoolFailed: 'spool.after-cleanup-requested',
};

export interface Decided {
  readonly events: TemplateBaseEvent[];
  readonly state: TemplateBaseState;
}

/**
 * Decide, append, and send what the decision calls for, in one transaction: the events (to
 * the image events topic), the commands to the storage and snapshot services (outbox), the
 * bases tables and, for an incoming message, its inbox mark. A crash anywhere leaves either
 * all of it or none, and a redelivery finds the inbox mark (or decides nothing the second
 * time, as the decider ignores repeats).
 */
@Injectable()
export class BaseDecisions {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly bases: BasesStore,
    private readonly clock: Clock,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  load(baseId: string): Promise<TemplateBaseState> {
    return this.runner.load(templateBaseDecider, templateBaseStreamId(baseId)).then((l) => l.state);
  }

  async execute(
    baseId: string,
    command: TemplateBaseCommand,
    meta: CommandMeta,
    inbox?: { readonly consumer: string; readonly messageId: string },
  ): Promise<Decided> {
    // The state the runner decided on, so the same (pure) decision is replayed to find the commands it sends.
    let before: TemplateBaseState = templateBaseDecider.initialState();
    const decided = await this.runner.execute(
      templateBaseDecider,
      templateBaseStreamId(baseId),
      baseId,
      (state) => {
        before = state;
        return command;
      },
      meta,
      {
        outboxTopic: this.topics.imageEvents,
        ...(inbox ? { inbox } : {}),
        alsoWrite: (m) => this.alsoWrite(m, before, command, meta),
      },
    );
    // Committed: the step's command waits in the outbox, its outcome is not recorded (test-only crash points, docs/sagas.md).
    let state = before;
    for (const event of decided.events) {
      const point = STEP_CRASH_POINTS[event.type];
      if (point && commandsFor(state, event, command).length > 0) crashPoint(point);
      state = templateBaseDecider.evolve(state, event);
    }
    return decided;
  }

  private async alsoWrite(m: EntityManager, before: TemplateBaseState, command: TemplateBaseCommand, meta: CommandMeta): Promise<void> {
    let state = before;
    for (const event of templateBaseDecider.decide(command, before)) {
      if (event.type === 'TemplateSpoolRequested') {
        const d = event.data;
        await this.bases.recordSpool(m, { baseId: d.baseId, templateId: d.templateId, poolId: d.poolId }, [
          { id: d.volumeId, kind: 'volume' },
          { id: d.snapshotId, kind: 'snapshot' },
        ]);
      }
      for (const out of commandsFor(state, event, command)) await this.send(m, out, meta);
      state = templateBaseDecider.evolve(state, event);
    }
  }

  private async send(m: EntityManager, out: OutgoingCommand, meta: CommandMeta): Promise<void> {
    const topic = out.route === 'storage' ? this.topics.storageCommands : this.topics.snapshotCommands;
    await enqueueCommand(m, this.store, topic, outgoingEnvelope(out, meta, this.clock.now()));
  }
}

/** As commandEnvelope, but never a tenant's: bases and templates made from volumes are the platform's. */
export function outgoingEnvelope(out: Pick<OutgoingCommand, 'commandId' | 'aggregateId' | 'data'> & { readonly type: string }, meta: CommandMeta, now: Date): Envelope {
  return commandEnvelope(out, { ...meta, tenant: null }, now);
}
