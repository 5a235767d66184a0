import { Injectable } from '@nestjs/common';
import { fold, type Decider } from '@strata/kernel';
import { ENVELOPE_SCHEMA_VERSION, type Envelope } from '@strata/contracts';
import type { EntityManager } from 'typeorm';
import { ConcurrencyError, OutboxRelay, PgEventStore, type AppendOptions } from '@strata/event-store';
import { Clock, IdGenerator } from './clock';

type DomainEvent = { readonly type: string; readonly data: unknown };

export interface CommandMeta {
  /** The command that caused the events; its id is the job id. */
  readonly causationId: string;
  readonly correlationId: string;
  readonly tenant: string | null;
}

/** The metadata of the events a command causes: the command is their cause (and its job). */
export function commandMeta(command: Envelope): CommandMeta {
  return { causationId: command.messageId, correlationId: command.correlationId, tenant: command.tenant };
}

export interface ExecuteOptions extends AppendOptions {
  /** Other writes that must commit with the events or not at all (e.g. a pool's sealed credentials). */
  readonly alsoWrite?: (manager: EntityManager) => Promise<void>;
}

export interface Loaded<S> {
  readonly state: S;
  readonly version: number;
}

const MAX_ATTEMPTS = 5;

/**
 * Load, decide, append: the loop every command handler runs. A concurrency conflict
 * reloads and decides again; the decider itself never sees storage.
 */
@Injectable()
export class AggregateRunner {
  constructor(
    private readonly store: PgEventStore,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async load<S, E extends DomainEvent>(decider: Decider<S, unknown, E>, streamId: string): Promise<Loaded<S>> {
    const stored = await this.store.readStream(streamId);
    const events = stored.map((s) => ({ type: s.envelope.type, data: s.envelope.data }) as E);
    return { state: fold(decider, events), version: stored.length ? stored[stored.length - 1].streamVersion : 0 };
  }

  /** Returns the events appended (none when the decider decided nothing). */
  async execute<S, C, E extends DomainEvent>(
    decider: Decider<S, C, E>,
    streamId: string,
    aggregateId: string,
    command: (state: S) => C,
    meta: CommandMeta,
    options: ExecuteOptions = {},
  ): Promise<{ events: E[]; state: S }> {
    const { alsoWrite, ...appendOptions } = options;
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(decider as Decider<S, unknown, E>, streamId);
      const events = decider.decide(command(state), state);
      if (events.length === 0) return { events, state };
      const occurredAt = this.clock.now().toISOString();
      try {
        const pending = events.map((e) => ({
          messageId: this.ids.newId(),
          type: e.type,
          schemaVersion: ENVELOPE_SCHEMA_VERSION,
          aggregateId,
          occurredAt,
          correlationId: meta.correlationId,
          causationId: meta.causationId,
          tenant: meta.tenant,
          data: e.data,
        }));
        if (alsoWrite) {
          await this.store.transaction(async (m) => {
            await alsoWrite(m);
            await this.store.append(streamId, version, pending, appendOptions, m);
          });
        } else {
          await this.store.append(streamId, version, pending, appendOptions);
        }
        this.relay.kick();
        return { events, state: events.reduce(decider.evolve, state) };
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < MAX_ATTEMPTS) continue;
        throw error;
      }
    }
  }
}
