import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  createServiceDataSource,
  initializeServiceDataSource,
  OutboxRelay,
  PgEventStore,
  type PendingEvent,
} from '@strata/event-store';
import { KafkaMessageBus, type IncomingMessage } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra } from '@strata/testing';

/** The outbox relay wired to the Kafka bus, as PlatformModule wires them, on the real servers. */
const SCHEMA = 'relaytest';

function event(aggregateId: string, type = 'ThingHappened'): PendingEvent {
  return {
    messageId: randomUUID(),
    type,
    schemaVersion: 1,
    aggregateId,
    occurredAt: new Date().toISOString(),
    correlationId: 'corr',
    causationId: null,
    tenant: null,
    data: {},
  };
}

describe('outbox relay on real PostgreSQL and Kafka', () => {
  let infra: TestInfra;
  let ds: DataSource;
  let store: PgEventStore;

  beforeAll(async () => {
    infra = await createTestInfra('relay');
    ds = await initializeServiceDataSource(createServiceDataSource({ url: infra.databaseUrl, schema: SCHEMA }));
    store = new PgEventStore(ds, SCHEMA);
  });
  afterAll(async () => {
    await ds?.destroy();
    await infra?.dispose();
  });

  describe('through the Kafka bus', () => {
    let bus: KafkaMessageBus;
    beforeAll(async () => {
      bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'es-int' });
    });
    afterAll(async () => {
      await bus?.close();
    });

    it('publishes again after a crash between publish and mark, and an inbox consumer applies it once', async () => {
      const topic = `${infra.topicPrefix}outbox-crash`;
      await bus.ensureTopics([{ topic, numPartitions: 1 }]);
      const id = randomUUID();
      const [appended] = (await store.append(`thing-${id}`, 0, [event(id, 'Crashy')], { outboxTopic: topic })).events;

      // First relay publishes, then "crashes" before marking the row.
      const crashing = new OutboxRelay(ds, SCHEMA, bus, {
        afterPublish: async () => {
          throw new Error('simulated crash after publish');
        },
      });
      await expect(crashing.relayOnce()).rejects.toThrow(/simulated crash/);
      expect(await crashing.backlog()).toBe(1);

      // A fresh relay finds the unmarked row and publishes it again.
      const relay = new OutboxRelay(ds, SCHEMA, bus);
      expect(await relay.relayOnce()).toBe(1);
      expect(await relay.backlog()).toBe(0);

      // Kafka holds it twice (at-least-once); the inbox consumer applies it once.
      const seen: IncomingMessage[] = [];
      let applied = 0;
      const sub = await bus.subscribe({
        groupId: `${infra.topicPrefix}inbox-consumer`,
        topics: [topic],
        fromBeginning: true,
        handle: async (message) => {
          seen.push(message);
          const envelope = JSON.parse(message.value!.toString('utf8'));
          await store.transaction(async (m) => {
            if (await store.claim(m, 'inbox-consumer', envelope.messageId)) applied += 1;
          });
        },
      });
      try {
        await eventually('both copies to arrive', async () => (seen.length >= 2 ? true : undefined));
      } finally {
        await sub.stop();
      }
      expect(seen).toHaveLength(2);
      expect(seen.every((m) => m.key?.toString() === id)).toBe(true);
      expect(JSON.parse(seen[0].value!.toString()).messageId).toBe(appended.envelope.messageId);
      expect(applied).toBe(1);
    });

    it('purges published rows once they are older than the keep period, never unpublished ones', async () => {
      const topic = `${infra.topicPrefix}outbox-purge`;
      await bus.ensureTopics([{ topic, numPartitions: 1 }]);
      const id = randomUUID();
      await store.append(`thing-${id}`, 0, [event(id, 'Old')], { outboxTopic: topic });
      const relay = new OutboxRelay(ds, SCHEMA, bus, { keepPublishedMs: 0 });
      while ((await relay.relayOnce()) > 0);
      await store.append(`thing-${id}`, 1, [event(id, 'Unpublished')], { outboxTopic: topic });
      expect(await relay.purgePublished()).toBeGreaterThanOrEqual(1);
      const left = await ds.query(`SELECT payload->>'type' AS type, published_at FROM "${SCHEMA}".outbox`);
      expect(left).toEqual([{ type: 'Unpublished', published_at: null }]);
    });

    it('publishes in append order per aggregate', async () => {
      const topic = `${infra.topicPrefix}outbox-order`;
      await bus.ensureTopics([{ topic, numPartitions: 3 }]);
      const id = randomUUID();
      for (let i = 0; i < 5; i++) await store.append(`thing-${id}`, i, [event(id, `E${i}`)], { outboxTopic: topic });
      const relay = new OutboxRelay(ds, SCHEMA, bus, { batchSize: 2 });
      while ((await relay.relayOnce()) > 0);
      const types: string[] = [];
      const sub = await bus.subscribe({
        groupId: `${infra.topicPrefix}order`,
        topics: [topic],
        handle: async (m) => {
          types.push(JSON.parse(m.value!.toString()).type);
        },
      });
      try {
        await eventually('five events', async () => (types.length >= 5 ? true : undefined));
      } finally {
        await sub.stop();
      }
      expect(types).toEqual(['E0', 'E1', 'E2', 'E3', 'E4']);
    });
  });
});
