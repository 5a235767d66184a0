// Support for the integration specs (named .spec.ts so only tests may import it; not a test file itself).
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { KafkaMessageBus, type IncomingMessage, type Subscription } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, useInfraEnv, type TestInfra } from '@strata/testing';
import { AppModule } from '../app.module';

/**
 * The storage service in this process against the real PostgreSQL and Kafka, with an
 * observer on its events (and dead letters): what every integration spec of the service
 * needs, so each spec states only what it checks.
 */
export interface StorageHarness {
  readonly infra: TestInfra;
  readonly app: INestApplication;
  readonly bus: KafkaMessageBus;
  readonly topics: Topics;
  /** Every event published so far, in arrival order. */
  readonly events: Envelope[];
  readonly deadLetters: IncomingMessage[];
  /** Publishes a command envelope on the command topic; returns its id (the job id). */
  send(type: string, aggregateId: string, data: unknown, over?: { messageId?: string; tenant?: string | null }): Promise<string>;
  /** Publishes raw bytes (or an envelope built by the test) on the command topic. */
  sendRaw(key: string, value: string | Buffer): Promise<void>;
  /** The event of that type the command caused, once it arrives. */
  eventFor(type: string, causationId: string): Promise<Envelope>;
  /** The first event a command caused that is not an intent: its outcome or rejection. */
  outcome(commandId: string): Promise<Envelope>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Runs after the database exists and before the service starts (e.g. to plant a crashed state). */
  readonly beforeStart?: (infra: TestInfra) => Promise<void>;
}

export async function startStorageHarness(label: string, options: HarnessOptions = {}): Promise<StorageHarness> {
  const infra = await createTestInfra(label);
  await options.beforeStart?.(infra);
  useInfraEnv(infra);
  const topics = topicNames(infra.topicPrefix);
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.init();
  const bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: `${label}-int` });
  const events: Envelope[] = [];
  const deadLetters: IncomingMessage[] = [];
  const sub: Subscription = await bus.subscribe({
    groupId: `${infra.topicPrefix}observer`,
    topics: [topics.storageEvents, topics.deadLetter],
    handle: async (m) => {
      if (m.topic === topics.deadLetter) deadLetters.push(m);
      else events.push(JSON.parse(m.value!.toString('utf8')) as Envelope);
    },
  });
  const sendRaw = (key: string, value: string | Buffer) => bus.publish([{ topic: topics.storageCommands, key, value }]);
  return {
    infra,
    app,
    bus,
    topics,
    events,
    deadLetters,
    async send(type, aggregateId, data, over = {}) {
      const command = commandEnvelope(type, aggregateId, data, over);
      await sendRaw(aggregateId, JSON.stringify(command));
      return command.messageId;
    },
    sendRaw,
    eventFor: (type, causationId) =>
      eventually(`${type} caused by ${causationId}`, async () => events.find((e) => e.type === type && e.causationId === causationId)),
    outcome: (commandId) =>
      eventually(`the outcome of ${commandId}`, async () => events.find((e) => e.causationId === commandId && !e.type.endsWith('Requested') && !e.type.endsWith('Progressed'))),
    async close() {
      await sub.stop();
      await bus.close();
      await app.close();
      await infra.dispose();
    },
  };
}
