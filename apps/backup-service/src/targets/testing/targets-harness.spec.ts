// Support for the targets integration spec (named .spec.ts so only tests may import it; not a test file itself).
import { Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { topics as topicNames, validateBackupCommand, type BackupCommand, type Envelope, type Topics } from '@strata/contracts';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import { KafkaMessageBus, type MessageBus, type Subscription } from '@strata/messaging';
import { Clock, IdGenerator, MESSAGE_BUS, PlatformModule, ServiceCommandIntake, TOPICS } from '@strata/service-kit';
import { commandEnvelope, createTestInfra, eventually, useInfraEnv, type TestInfra } from '@strata/testing';
import { CONSUMER_GROUP, DEFAULT_PORT, SCHEMA, SERVICE_NAME } from '../../backup.constants';
import { AddBackupTargetHandler, RemoveBackupTargetHandler, TARGETS_MIGRATIONS, TARGETS_PROVIDERS } from '../targets.providers';

/**
 * The backup service's intake, reduced to the target commands: the targets are tested on
 * their own, whatever state the rest of the service is in. Same consumer group and topics
 * as the real intake.
 */
@Injectable()
class TargetsTestIntake extends ServiceCommandIntake<BackupCommand> {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(TOPICS) topics: Topics,
    store: PgEventStore,
    relay: OutboxRelay,
    clock: Clock,
    ids: IdGenerator,
    private readonly add: AddBackupTargetHandler,
    private readonly remove: RemoveBackupTargetHandler,
  ) {
    super(
      { bus, store, relay, clock, ids },
      { consumerGroup: CONSUMER_GROUP, commandTopic: topics.backupCommands, eventsTopic: topics.backupEvents, deadLetterTopic: topics.deadLetter, validate: validateBackupCommand },
    );
  }

  protected async dispatch(command: BackupCommand): Promise<void> {
    switch (command.type) {
      case 'AddBackupTarget':
        return this.add.handle(command);
      case 'RemoveBackupTarget':
        return this.remove.handle(command);
      default:
        throw new Error(`${command.type} is not part of the targets test`);
    }
  }
}

@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      defaultPort: DEFAULT_PORT,
      schema: SCHEMA,
      topics: [{ key: 'backupCommands' }, { key: 'backupEvents' }, { key: 'deadLetter' }],
      migrations: [...TARGETS_MIGRATIONS],
    }),
  ],
  providers: [...TARGETS_PROVIDERS, TargetsTestIntake],
})
class TargetsTestModule {}

export interface TargetsHarness {
  readonly infra: TestInfra;
  readonly app: INestApplication;
  readonly db: DataSource;
  /** Backup events published so far (from the topic, i.e. through the outbox relay). */
  readonly events: Envelope[];
  /** Sends a backup command; returns its id. */
  send(type: string, aggregateId: string, data: unknown): Promise<string>;
  /** The event the command caused (CommandRejected included). */
  eventFor(type: string, commandId: string): Promise<Envelope>;
  /** The first event the command caused, whatever its type. */
  outcomeOf(commandId: string): Promise<Envelope>;
  close(): Promise<void>;
}

export async function startTargetsHarness(label: string): Promise<TargetsHarness> {
  const infra = await createTestInfra(label);
  useInfraEnv(infra);
  const topics = topicNames(infra.topicPrefix);
  const app = (await Test.createTestingModule({ imports: [TargetsTestModule] }).compile()).createNestApplication({ logger: ['error'] });
  await app.init();
  const bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: `${label}-int` });
  const events: Envelope[] = [];
  const subs: Subscription[] = [
    await bus.subscribe({
      groupId: `${infra.topicPrefix}observer-events`,
      topics: [topics.backupEvents],
      fromBeginning: true,
      handle: async (m) => void events.push(JSON.parse(m.value!.toString('utf8')) as Envelope),
    }),
  ];
  const harness: TargetsHarness = {
    infra,
    app,
    db: app.get(DataSource),
    events,
    async send(type, aggregateId, data) {
      const command = commandEnvelope(type, aggregateId, data, { tenant: null });
      await bus.publish([{ topic: topics.backupCommands, key: aggregateId, value: JSON.stringify(command) }]);
      return command.messageId;
    },
    eventFor: (type, commandId) =>
      eventually(`${type} caused by ${commandId}`, async () => events.find((e) => e.type === type && e.causationId === commandId)),
    outcomeOf: (commandId) => eventually(`an event caused by ${commandId}`, async () => events.find((e) => e.causationId === commandId)),
    async close() {
      for (const sub of subs) await sub.stop();
      await bus.close();
      await app.close();
      await infra.dispose();
    },
  };
  return harness;
}
