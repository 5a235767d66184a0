// Support for the bases integration spec (named .spec.ts so only tests may import it; not a test file itself).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { topics as topicNames, validateImageCommand, type Envelope, type ImageCommand, type Topics } from '@strata/contracts';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import { KafkaMessageBus, type MessageBus, type Subscription } from '@strata/messaging';
import { Clock, IdGenerator, MESSAGE_BUS, PlatformModule, ServiceCommandIntake, TOPICS } from '@strata/service-kit';
import { commandEnvelope, createTestInfra, eventually, useInfraEnv, type TestInfra } from '@strata/testing';
import { BASES_MIGRATIONS, BASES_PROVIDERS, SpoolTemplateHandler } from '../bases/bases.providers';
import { CONSUMER_GROUP, DEFAULT_PORT, SCHEMA, SERVICE_NAME } from '../image.constants';
import { TemplateSources, type TemplateSource } from '../templates/application/template-sources';

const run = promisify(execFile);

/** A template as the test declares it: a real image file, in one zone. */
export interface TestTemplate {
  templateId: string;
  status: TemplateSource['status'];
  kind: 'template' | 'iso';
  zoneId: string;
  path: string;
  format: 'qcow2' | 'raw' | 'iso';
  virtualSizeBytes: number;
}

/** The templates context's read side, played by the test: a map it changes at will (survives restarts). */
export class TestTemplateSources extends TemplateSources {
  readonly templates = new Map<string, TestTemplate>();

  async sourceFor(templateId: string, zoneId: string): Promise<TemplateSource> {
    const t = this.templates.get(templateId);
    if (!t) return { templateId, status: 'absent', kind: null, copyInZone: null };
    return {
      templateId,
      status: t.status,
      kind: t.kind,
      copyInZone: t.zoneId === zoneId && t.status === 'ready' ? { imageStoreId: 'store-1', path: t.path, format: t.format, virtualSizeBytes: t.virtualSizeBytes } : null,
    };
  }

  /** Registers a real image file (its virtual size read with qemu-img, as the templates context does). */
  async add(path: string, format: 'qcow2' | 'raw', zoneId = 'z1'): Promise<TestTemplate> {
    const { stdout } = await run('qemu-img', ['info', '--output=json', '-f', format, path]);
    const virtualSizeBytes = (JSON.parse(stdout) as { 'virtual-size': number })['virtual-size'];
    const template: TestTemplate = { templateId: randomUUID(), status: 'ready', kind: 'template', zoneId, path, format, virtualSizeBytes };
    this.templates.set(template.templateId, template);
    return template;
  }
}

/**
 * The image service's intake, reduced to SpoolTemplate: the bases are tested on their own,
 * whatever state the rest of the image service is in. Same consumer group and topics as the
 * real intake.
 */
@Injectable()
class BasesTestIntake extends ServiceCommandIntake<ImageCommand> {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(TOPICS) topics: Topics,
    store: PgEventStore,
    relay: OutboxRelay,
    clock: Clock,
    ids: IdGenerator,
    private readonly spool: SpoolTemplateHandler,
  ) {
    super(
      { bus, store, relay, clock, ids },
      { consumerGroup: CONSUMER_GROUP, commandTopic: topics.imageCommands, eventsTopic: topics.imageEvents, deadLetterTopic: topics.deadLetter, validate: validateImageCommand },
    );
  }

  protected async dispatch(command: ImageCommand): Promise<void> {
    if (command.type !== 'SpoolTemplate') throw new Error(`${command.type} is not part of the bases test`);
    return this.spool.handle(command);
  }
}

function basesTestModule(sources: TestTemplateSources) {
  @Module({
    imports: [
      PlatformModule.forService({
        serviceName: SERVICE_NAME,
        defaultPort: DEFAULT_PORT,
        schema: SCHEMA,
        topics: [
          { key: 'imageCommands' },
          { key: 'imageEvents' },
          { key: 'storageCommands' },
          { key: 'storageEvents' },
          { key: 'snapshotCommands' },
          { key: 'snapshotEvents' },
          { key: 'deadLetter' },
        ],
        migrations: [...BASES_MIGRATIONS],
      }),
    ],
    providers: [...BASES_PROVIDERS, { provide: TemplateSources, useValue: sources }, BasesTestIntake],
  })
  class BasesTestModule {}
  return BasesTestModule;
}

export interface BasesHarness {
  readonly infra: TestInfra;
  readonly app: INestApplication;
  readonly topics: Topics;
  readonly sources: TestTemplateSources;
  /** Image events published so far. */
  readonly events: Envelope[];
  /** Commands the bases sent to the storage and snapshot services, in arrival order. */
  readonly commands: Envelope[];
  /** Stops the service and starts it again on the same database and topics, as after a crash or an upgrade; `whileDown` runs in between. */
  restart(whileDown?: () => Promise<unknown>): Promise<void>;
  /** SpoolTemplate on the image command topic (aggregate: the base's id); returns the command id. */
  spool(templateId: string, poolId: string, baseId: string): Promise<string>;
  /** An event as the storage or snapshot service would publish it; returns the envelope (to publish it again). */
  publish(route: 'storage' | 'snapshot', type: string, aggregateId: string, data: Record<string, unknown>, causationId?: string | null): Promise<Envelope>;
  republish(route: 'storage' | 'snapshot', envelope: Envelope): Promise<void>;
  /** A pool as the storage service adds it; resolves once the bases' view has it. */
  addPool(zoneId?: string): Promise<string>;
  eventFor(type: string, causationId: string): Promise<Envelope>;
  event(type: string, match: (e: Envelope) => boolean): Promise<Envelope>;
  command(type: string, match: (c: Envelope) => boolean): Promise<Envelope>;
  close(): Promise<void>;
}

export async function startBasesHarness(label: string): Promise<BasesHarness> {
  const infra = await createTestInfra(label);
  useInfraEnv(infra);
  const topics = topicNames(infra.topicPrefix);
  const sources = new TestTemplateSources();
  const startApp = async () => {
    const app = (await Test.createTestingModule({ imports: [basesTestModule(sources)] }).compile()).createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
    return app;
  };
  let app = await startApp();

  const bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: `${label}-int` });
  const events: Envelope[] = [];
  const commands: Envelope[] = [];
  const subs: Subscription[] = [
    await bus.subscribe({
      groupId: `${infra.topicPrefix}observer-events`,
      topics: [topics.imageEvents],
      fromBeginning: true,
      handle: async (m) => void events.push(JSON.parse(m.value!.toString('utf8')) as Envelope),
    }),
    await bus.subscribe({
      groupId: `${infra.topicPrefix}observer-commands`,
      topics: [topics.storageCommands, topics.snapshotCommands],
      fromBeginning: true,
      handle: async (m) => void commands.push(JSON.parse(m.value!.toString('utf8')) as Envelope),
    }),
  ];
  const versions = new Map<string, number>();
  const topicOf = (route: 'storage' | 'snapshot') => (route === 'storage' ? topics.storageEvents : topics.snapshotEvents);

  const harness: BasesHarness = {
    infra,
    get app() {
      return app;
    },
    topics,
    sources,
    events,
    commands,
    async restart(whileDown) {
      await app.close();
      await whileDown?.();
      app = await startApp();
    },
    async spool(templateId, poolId, baseId) {
      const command = commandEnvelope('SpoolTemplate', baseId, { templateId, poolId });
      await bus.publish([{ topic: topics.imageCommands, key: baseId, value: JSON.stringify(command) }]);
      return command.messageId;
    },
    async publish(route, type, aggregateId, data, causationId = null) {
      const streamVersion = (versions.get(aggregateId) ?? 0) + 1;
      versions.set(aggregateId, streamVersion);
      const messageId = randomUUID();
      const envelope: Envelope = {
        messageId,
        kind: 'event',
        type,
        schemaVersion: 1,
        aggregateId,
        streamVersion,
        occurredAt: new Date().toISOString(),
        correlationId: causationId ?? messageId,
        causationId,
        tenant: null,
        data,
      };
      await bus.publish([{ topic: topicOf(route), key: aggregateId, value: JSON.stringify(envelope) }]);
      return envelope;
    },
    async republish(route, envelope) {
      await bus.publish([{ topic: topicOf(route), key: envelope.aggregateId, value: JSON.stringify(envelope) }]);
    },
    async addPool(zoneId = 'z1') {
      const poolId = randomUUID();
      await harness.publish('storage', 'StoragePoolAdded', poolId, {
        poolId,
        name: `pool-${poolId.slice(0, 4)}`,
        plugin: 'file',
        zoneId,
        clusterId: null,
        tags: [],
        config: { path: `/pools/${poolId}` },
        capacityBytes: 2 ** 40,
        usedBytes: 0,
      });
      await eventually(`pool ${poolId} in the bases' view`, async () => {
        const rows: unknown[] = await app.get(DataSource).query(`SELECT 1 FROM "image".base_pools WHERE pool_id = $1`, [poolId]);
        return rows.length ? true : undefined;
      });
      return poolId;
    },
    eventFor: (type, causationId) =>
      eventually(`${type} caused by ${causationId}`, async () => events.find((e) => e.type === type && e.causationId === causationId)),
    event: (type, match) => eventually(`event ${type}`, async () => events.find((e) => e.type === type && match(e))),
    command: (type, match) => eventually(`command ${type}`, async () => commands.find((c) => c.type === type && match(c))),
    async close() {
      for (const sub of subs) await sub.stop();
      await bus.close();
      await app.close();
      await infra.dispose();
    },
  };
  return harness;
}
