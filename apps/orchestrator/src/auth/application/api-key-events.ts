import type { PendingEvent } from '@strata/event-store';
import type { Clock, IdGenerator } from '@strata/service-kit';
import { ENVELOPE_SCHEMA_VERSION } from '@strata/contracts';
import type { ApiKeyCreatedData, ApiKeyRevokedData } from '../domain/api-key';

/**
 * A key's lifecycle event, kept in the orchestrator's own event store (stream api-key-<id>)
 * and published nowhere: it is the audit record of who made and who revoked the key.
 */
export function apiKeyEvent(
  type: 'ApiKeyCreated' | 'ApiKeyRevoked',
  keyId: string,
  tenant: string | null,
  data: ApiKeyCreatedData | ApiKeyRevokedData,
  correlationId: string | null,
  deps: { readonly ids: IdGenerator; readonly clock: Clock },
): PendingEvent {
  const messageId = deps.ids.newId();
  return {
    messageId,
    type,
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    aggregateId: keyId,
    occurredAt: deps.clock.now().toISOString(),
    correlationId: correlationId ?? messageId,
    causationId: null,
    tenant,
    data,
  };
}
