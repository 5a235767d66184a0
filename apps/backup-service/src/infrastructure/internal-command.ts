import type { Envelope } from '@strata/contracts';

/**
 * An in-process command (a schedule's run, its retention): the handlers take the same
 * envelopes the intake gives them, under a message id derived from what it is for, so a
 * repeat is dropped by the inbox like a redelivery.
 */
export function internalCommand<T extends string, D>(type: T, aggregateId: string, messageId: string, data: D, correlationId: string, tenant: string | null, now: Date): Envelope<T, D> {
  return {
    messageId,
    kind: 'command',
    type,
    schemaVersion: 1,
    aggregateId,
    streamVersion: null,
    occurredAt: now.toISOString(),
    correlationId,
    causationId: null,
    tenant,
    data,
  } as Envelope<T, D>;
}
