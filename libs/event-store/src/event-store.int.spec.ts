import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { KafkaMessageBus, type IncomingMessage } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra } from '@strata/testing';
import { createServiceDataSource, initializeServiceDataSource } from './data-source';
import { ConcurrencyError, DuplicateMessageError } from './errors';
import { PgEventStore, type PendingEvent } from './event-store';
import { OutboxRelay } from './outbox-relay';

const SCHEMA = 'estest';

function event(aggregateId: string, type = 'ThingHappened', data: Record<string, unknown> = {}): PendingEvent {
  return {
    messageId: randomUUID(),
    type,
    schemaVersion: 1,
    aggregateId,
    occurredAt: new Date().toISOString(),
    correlationId: 'corr',
    causationId: null,
    tenant: null,
    data,
  };
}

describe('PgEventStore on a real PostgreSQL', () => {
  let infra: TestInfra;
  let ds: DataSource;
  let store: PgEventStore;

  beforeAll(async () => {
    infra = await createTestInfra('eventstore');
    ds = await initializeServiceDataSource(createServiceDataSource({ url: infra.databaseUrl, schema: SCHEMA }));
    store = new PgEventStore(ds, SCHEMA);
  });
  afterAll(async () => {
    await ds?.destroy();
    await infra?.dispose();
  });

  it('appends and reads a stream in order, with a global position', async () => {
    const id = randomUUID();
    await store.append(`thing-${id}`, 0, [event(id, 'A'), event(id, 'B')]);
    await store.append(`thing-${id}`, 2, [event(id, 'C')]);
    const read = await store.readStream(`thing-${id}`);
    expect(read.map((e) => [e.streamVersion, e.envelope.type])).toEqual([
      [1, 'A'],
      [2, 'B'],
      [3, 'C'],
    ]);
    expect(BigInt(read[2].globalPosition)).toBeGreaterThan(BigInt(read[0].globalPosition));
  });

  it('lets exactly one of two racing appends at the same expected version win', async () => {
    const id = randomUUID();
    await store.append(`thing-${id}`, 0, [event(id, 'Created')]);
    const results = await Promise.allSettled(
      Array.from({ length: 2 }, (_, i) => store.append(`thing-${id}`, 1, [event(id, `Racer${i}`)])),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(ConcurrencyError);
    expect((lost[0].reason as ConcurrencyError).code).toBe('event_store.concurrency');
    expect(await store.readStream(`thing-${id}`)).toHaveLength(2);
  });

  it('refuses a stale expected version with a typed error', async () => {
    const id = randomUUID();
    await store.append(`thing-${id}`, 0, [event(id)]);
    await expect(store.append(`thing-${id}`, 0, [event(id)])).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it('marks the inbox in the append transaction, so a repeated command appends nothing', async () => {
    const id = randomUUID();
    const inbox = { consumer: 'test', messageId: randomUUID() };
    await store.append(`thing-${id}`, 0, [event(id)], { inbox });
    await expect(store.append(`thing-${id}`, 1, [event(id)], { inbox })).rejects.toBeInstanceOf(DuplicateMessageError);
    expect(await store.readStream(`thing-${id}`)).toHaveLength(1);
    expect(await store.isHandled('test', inbox.messageId)).toBe(true);
  });

  it('keeps events append-only, even against direct SQL', async () => {
    const id = randomUUID();
    await store.append(`thing-${id}`, 0, [event(id)]);
    await expect(ds.query(`UPDATE "${SCHEMA}".events SET type = 'X' WHERE stream_id = $1`, [`thing-${id}`])).rejects.toThrow(
      /append-only/,
    );
    await expect(ds.query(`DELETE FROM "${SCHEMA}".events WHERE stream_id = $1`, [`thing-${id}`])).rejects.toThrow(/append-only/);
  });

  it('finds streams left in a transitional state', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await store.append(`widget-${a}`, 0, [event(a, 'WidgetRequested')]);
    await store.append(`widget-${b}`, 0, [event(b, 'WidgetRequested'), event(b, 'WidgetMade')]);
    const pending = await store.streamsEndingWith('widget-', ['WidgetRequested']);
    expect(pending.map((p) => p.envelope.aggregateId)).toEqual([a]);
  });

  describe('outbox relay on a real Kafka', () => {
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
