import { randomBytes, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Envelope } from '@strata/contracts';
import { createServiceDataSource, initializeServiceDataSource, OutboxRelay, PgEventStore } from '@strata/event-store';
import { currentTraceHeaders, KafkaMessageBus, traceIdOf, type IncomingMessage, type Subscription } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, type TestInfra } from '@strata/testing';
import { SystemClock, RandomIdGenerator } from './clock';
import { CommandIntake } from './command-intake';
import { currentLogFields } from './log-context';
import { setupTracing } from './tracing';

/**
 * A command published with a trace context is handled in that trace, and what it writes to
 * the outbox (its events, the commands it sends on) reaches Kafka still in it: the
 * transactional outbox is a hop the trace survives. Real PostgreSQL and Kafka.
 */
const SCHEMA = 'tracingtest';

describe('trace context from a Kafka command through the outbox', () => {
  let infra: TestInfra;
  let ds: DataSource;
  let bus: KafkaMessageBus;
  let relay: OutboxRelay;
  let intake: CommandIntake<Envelope>;
  let observer: Subscription;
  const seen: IncomingMessage[] = [];
  const inHandler: { traceHeaders: Record<string, string>; logFields: Record<string, string> }[] = [];
  let topics: { commands: string; events: string; otherCommands: string; deadLetter: string };

  beforeAll(async () => {
    Logger.overrideLogger(false);
    setupTracing('tracing-int');
    infra = await createTestInfra('tracing');
    ds = await initializeServiceDataSource(createServiceDataSource({ url: infra.databaseUrl, schema: SCHEMA }));
    // As PlatformModule builds it: outbox rows keep the trace context they were written in.
    const store = new PgEventStore(ds, SCHEMA, { outboxHeaders: currentTraceHeaders });
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'tracing-int', groupIdPrefix: infra.topicPrefix });
    const p = infra.topicPrefix;
    topics = { commands: `${p}commands`, events: `${p}events`, otherCommands: `${p}other-commands`, deadLetter: `${p}dlq` };
    await bus.ensureTopics(Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })));
    relay = new OutboxRelay(ds, SCHEMA, bus, { idleMs: 50 });
    relay.start();
    intake = new CommandIntake<Envelope>(
      { bus, store, relay, clock: new SystemClock(), ids: new RandomIdGenerator() },
      {
        consumerGroup: 'tracing-intake',
        commandTopic: topics.commands,
        eventsTopic: topics.events,
        deadLetterTopic: topics.deadLetter,
        validate: (envelope) => ({ ok: true, command: envelope as Envelope }),
        handle: async (command) => {
          inHandler.push({ traceHeaders: currentTraceHeaders(), logFields: currentLogFields() });
          await store.transaction(async (m) => {
            await store.append(
              `thing-${command.aggregateId}`,
              0,
              [
                {
                  messageId: randomUUID(),
                  type: 'ThingDone',
                  schemaVersion: 1,
                  aggregateId: command.aggregateId,
                  occurredAt: new Date().toISOString(),
                  correlationId: command.correlationId,
                  causationId: command.messageId,
                  tenant: null,
                  data: {},
                },
              ],
              { outboxTopic: topics.events, inbox: { consumer: 'tracing-intake', messageId: command.messageId } },
              m,
            );
            const next = commandEnvelope('DoMore', command.aggregateId, {}, { correlationId: command.correlationId ?? undefined });
            await store.enqueue(m, { topic: topics.otherCommands, key: command.aggregateId, payload: next });
          });
        },
      },
    );
    await intake.start();
    observer = await bus.subscribe({ groupId: 'observer', topics: [topics.events, topics.otherCommands], handle: async (m) => void seen.push(m) });
  });

  afterAll(async () => {
    await observer?.stop();
    await intake?.stop();
    await relay?.stop();
    await bus?.close();
    await ds?.destroy();
    await infra?.dispose();
    Logger.overrideLogger(['log', 'error', 'warn']);
  });

  it('handles the command in its trace and publishes its event and its next command, through the outbox, in the same trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentSpan = randomBytes(8).toString('hex');
    const aggregateId = randomUUID();
    const command = commandEnvelope('DoThing', aggregateId, {}, { correlationId: 'corr-trace-1' });
    await bus.publish([
      {
        topic: topics.commands,
        key: aggregateId,
        value: JSON.stringify(command),
        headers: { traceparent: `00-${traceId}-${parentSpan}-01`, tracestate: 'strata=test' },
      },
    ]);

    const handled = await eventually('the command handled', async () => inHandler.find((h) => h.logFields.messageId === command.messageId));
    expect(traceIdOf(handled.traceHeaders.traceparent)).toBe(traceId);
    expect(handled.traceHeaders.tracestate).toBe('strata=test');
    expect(handled.logFields).toMatchObject({ correlationId: 'corr-trace-1', commandType: 'DoThing', traceId });
    expect(handled.logFields.spanId).not.toBe(parentSpan);

    // The outbox rows were stored with the trace context (the hop's state, not only its result).
    const rows: { topic: string; headers: Record<string, string> }[] = await ds.query(
      `SELECT topic, headers FROM "${SCHEMA}".outbox WHERE message_key = $1 ORDER BY id`,
      [aggregateId],
    );
    expect(rows.map((r) => [r.topic, traceIdOf(r.headers.traceparent)])).toEqual([
      [topics.events, traceId],
      [topics.otherCommands, traceId],
    ]);

    const event = await eventually('the event on Kafka', async () => seen.find((m) => m.topic === topics.events && m.key?.toString() === aggregateId));
    const next = await eventually('the next command on Kafka', async () =>
      seen.find((m) => m.topic === topics.otherCommands && m.key?.toString() === aggregateId),
    );
    expect(traceIdOf(event.headers.traceparent)).toBe(traceId);
    expect(traceIdOf(next.headers.traceparent)).toBe(traceId);
    expect(event.headers.tracestate).toBe('strata=test');
    // The parent of what was published is the command's span, not the sender's.
    expect(event.headers.traceparent).not.toContain(parentSpan);
  });

  it('starts a trace of its own for a command that carries none, different per command', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const aggregateId = randomUUID();
      const command = commandEnvelope('DoThing', aggregateId, {});
      await bus.publish([{ topic: topics.commands, key: aggregateId, value: JSON.stringify(command) }]);
      const handled = await eventually('the command handled', async () => inHandler.find((h) => h.logFields.messageId === command.messageId));
      const event = await eventually('its event', async () => seen.find((m) => m.topic === topics.events && m.key?.toString() === aggregateId));
      expect(traceIdOf(event.headers.traceparent)).toBe(handled.logFields.traceId);
      ids.push(handled.logFields.traceId);
    }
    expect(ids[0]).toMatch(/^[\da-f]{32}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});
