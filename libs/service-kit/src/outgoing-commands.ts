import { ENVELOPE_SCHEMA_VERSION, type Envelope } from '@strata/contracts';
import type { PgEventStore } from '@strata/event-store';
import type { EntityManager } from 'typeorm';
import type { CommandMeta } from './aggregate-runner';

/** A command a process decided to send to another service; its id is derived, so a resend is dropped by the receiver's inbox. */
export interface CommandToSend {
  readonly type: string;
  readonly commandId: string;
  readonly aggregateId: string;
  readonly data: Record<string, unknown>;
}

/** The command envelope as any publisher puts it on the receiving service's command topic, under the command's own id. */
export function commandEnvelope(out: CommandToSend, meta: CommandMeta, now: Date): Envelope {
  return {
    messageId: out.commandId,
    kind: 'command',
    type: out.type,
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    aggregateId: out.aggregateId,
    streamVersion: null,
    occurredAt: now.toISOString(),
    correlationId: meta.correlationId,
    causationId: meta.causationId,
    tenant: meta.tenant,
    data: out.data,
  };
}

/** Into the outbox, in the caller's transaction (it commits with the decision or not at all), keyed by its aggregate so the receiver sees its commands in order. */
export async function enqueueCommand(manager: EntityManager, store: PgEventStore, topic: string, envelope: Envelope): Promise<void> {
  await store.enqueue(manager, { topic, key: envelope.aggregateId, payload: envelope });
}
