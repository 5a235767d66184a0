import { ENVELOPE_SCHEMA_VERSION, type Envelope, type Topics } from '@strata/contracts';
import type { PgEventStore } from '@strata/event-store';
import type { CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';

/** A command to the storage or snapshot service, decided by a backup or restore. */
export interface Outgoing {
  readonly route: 'storage' | 'snapshot';
  readonly type: string;
  readonly commandId: string;
  readonly aggregateId: string;
  readonly data: Record<string, unknown>;
}

/** Into the outbox, in the caller's transaction: under its derived id, so a resend is dropped by the receiver's inbox. */
export async function enqueueCommand(store: PgEventStore, topics: Topics, m: EntityManager, out: Outgoing, meta: CommandMeta, now: Date): Promise<void> {
  const envelope: Envelope = {
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
  const topic = out.route === 'storage' ? topics.storageCommands : topics.snapshotCommands;
  await store.enqueue(m, { topic, key: out.aggregateId, payload: envelope });
}

/** An error as events carry it: code, category and message only (never a stack, nor a store's settings). */
export function errorInfoOf(error: unknown, fallbackCode: string): { code: string; category: string; message: string } {
  const e = error as { code?: unknown; category?: unknown; message?: unknown };
  const domain = typeof e?.code === 'string' && typeof e?.category === 'string';
  return {
    code: domain ? (e.code as string) : fallbackCode,
    category: domain ? (e.category as string) : 'backend',
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
}
