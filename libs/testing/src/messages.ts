import { randomUUID } from 'node:crypto';
import type { TestInfra } from './infra';

/**
 * A command envelope as a cloud platform would publish it (plain JSON: this lib depends on
 * nothing of ours, so a test can also build envelopes the contracts would refuse).
 */
export function commandEnvelope(
  type: string,
  aggregateId: string,
  data: unknown,
  over: { messageId?: string; tenant?: string | null; correlationId?: string } = {},
) {
  const messageId = over.messageId ?? randomUUID();
  return {
    messageId,
    kind: 'command' as const,
    type,
    schemaVersion: 1,
    aggregateId,
    streamVersion: null,
    occurredAt: new Date().toISOString(),
    correlationId: over.correlationId ?? messageId,
    causationId: null,
    tenant: over.tenant === undefined ? 'acme' : over.tenant,
    data,
  };
}

/** The environment that points a service at the test's database, broker and topics. */
export function infraEnv(infra: TestInfra): Record<string, string> {
  return {
    DATABASE_URL: infra.databaseUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    STRATA_TOPIC_PREFIX: infra.topicPrefix,
    STRATA_SECRET_KEY: infra.secretKey,
    STRATA_INSTALLATION_ID: infra.topicPrefix.slice(1, 5),
  };
}

/** Points a service started in this process at the test's database, broker and topics. */
export function useInfraEnv(infra: TestInfra): void {
  Object.assign(process.env, infraEnv(infra));
}
