// Support for the integration specs (named .spec.ts so only tests may import it; not a test file itself).
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { findPlugin } from '@strata/backends';
import { KafkaMessageBus, type IncomingMessage, type Subscription } from '@strata/messaging';
import { backendVolumeName, poolKeyOf, redactConfig, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { DriverRegistry, PoolSecrets, splitSecrets } from '@strata/pool-access';
import { Clock, SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';
import { commandEnvelope, createTestInfra, eventually, useInfraEnv, type TestInfra } from '@strata/testing';
import { AppModule } from '../app.module';
import type { PoolRow, VolumeRow } from '../storage-view/domain/storage-view';
import { StorageViewStore } from '../storage-view/infrastructure/storage-view.store';

export interface TestPool {
  readonly poolId: string;
  readonly plugin: string;
  /** As the storage service records it: credentials redacted. */
  readonly config: Record<string, unknown>;
}

export interface TestVolume {
  readonly volumeId: string;
  readonly pool: TestPool;
  readonly backendName: string;
  readonly sizeBytes: number;
  readonly path: string | null;
}

/**
 * The snapshot service in this process against the real PostgreSQL and Kafka. The storage
 * service is not started (apps never import each other): the test plays its part, making the
 * backend objects with the real driver, sealing the pool's credentials into storage.pool_secrets
 * and publishing the storage events the snapshot service's view needs.
 */
export interface SnapshotHarness {
  readonly infra: TestInfra;
  /** The running service (a new one after restart). */
  readonly app: INestApplication;
  /** Stops the service and starts it again on the same database and topics, as after a crash or an upgrade. */
  restart(): Promise<void>;
  readonly topics: Topics;
  /** Every snapshot event published so far, in arrival order. */
  readonly events: Envelope[];
  readonly deadLetters: IncomingMessage[];
  send(type: string, aggregateId: string, data: unknown): Promise<string>;
  sendRaw(key: string, value: string | Buffer): Promise<void>;
  eventFor(type: string, causationId: string): Promise<Envelope>;
  /** The first event a command caused that is not an intent: its outcome or rejection. */
  outcome(commandId: string): Promise<Envelope>;
  /** Publishes a storage event as the storage service would (next version of its stream). */
  publishStorageEvent(type: string, aggregateId: string, data: Record<string, unknown>): Promise<void>;
  /** A pool as the storage service adds it: secrets sealed, StoragePoolAdded published; resolves once the view has it. */
  addPool(plugin: string, config: Record<string, unknown>): Promise<TestPool>;
  driver(pool: TestPool): Promise<PrimaryStorageDriver>;
  /** A real volume on the backend, announced by VolumeCreationRequested + VolumeCreated; resolves once the view has it ready. */
  createVolume(pool: TestPool, sizeBytes: number): Promise<TestVolume>;
  viewVolume(volumeId: string): Promise<VolumeRow | null>;
  viewPool(poolId: string): Promise<PoolRow | null>;
  close(): Promise<void>;
}

/** The storage service's pool_secrets table (its migration 1763900000000), which the snapshot service only reads. */
const POOL_SECRETS_DDL = [
  `CREATE SCHEMA IF NOT EXISTS "storage"`,
  `CREATE TABLE IF NOT EXISTS "storage".pool_secrets (
    pool_id uuid PRIMARY KEY,
    sealed text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
];

export interface HarnessOptions {
  /** Replaces the service's clock (policies' due runs are read from it). */
  readonly clock?: Clock;
}

async function startApp(options: HarnessOptions): Promise<INestApplication> {
  let builder = Test.createTestingModule({ imports: [AppModule] });
  if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
  const app = (await builder.compile()).createNestApplication({ logger: ['error'] });
  await app.init();
  return app;
}

export async function startSnapshotHarness(label: string, options: HarnessOptions = {}): Promise<SnapshotHarness> {
  const infra = await createTestInfra(label);
  useInfraEnv(infra);
  const topics = topicNames(infra.topicPrefix);
  let app = await startApp(options);
  // Read from the running app each time: restart() replaces it.
  const dataSource = () => app.get(DataSource);
  const view = () => app.get(StorageViewStore);
  for (const ddl of POOL_SECRETS_DDL) await dataSource().query(ddl);
  const installationId = app.get<ServiceConfig>(SERVICE_CONFIG).installationId;

  const bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: `${label}-int` });
  const events: Envelope[] = [];
  const deadLetters: IncomingMessage[] = [];
  const sub: Subscription = await bus.subscribe({
    groupId: `${infra.topicPrefix}observer`,
    topics: [topics.snapshotEvents, topics.deadLetter],
    handle: async (m) => {
      if (m.topic === topics.deadLetter) deadLetters.push(m);
      else events.push(JSON.parse(m.value!.toString('utf8')) as Envelope);
    },
  });
  const versions = new Map<string, number>();
  const sendRaw = (key: string, value: string | Buffer) => bus.publish([{ topic: topics.snapshotCommands, key, value }]);

  const publishStorageEvent = async (type: string, aggregateId: string, data: Record<string, unknown>) => {
    const streamVersion = (versions.get(aggregateId) ?? 0) + 1;
    versions.set(aggregateId, streamVersion);
    const messageId = randomUUID();
    const envelope = {
      messageId,
      kind: 'event',
      type,
      schemaVersion: 1,
      aggregateId,
      streamVersion,
      occurredAt: new Date().toISOString(),
      correlationId: messageId,
      causationId: null,
      tenant: null,
      data,
    };
    await bus.publish([{ topic: topics.storageEvents, key: aggregateId, value: JSON.stringify(envelope) }]);
  };

  const harness: SnapshotHarness = {
    infra,
    get app() {
      return app;
    },
    async restart() {
      await app.close();
      app = await startApp(options);
    },
    topics,
    events,
    deadLetters,
    async send(type, aggregateId, data) {
      const command = commandEnvelope(type, aggregateId, data);
      await sendRaw(aggregateId, JSON.stringify(command));
      return command.messageId;
    },
    sendRaw,
    eventFor: (type, causationId) =>
      eventually(`${type} caused by ${causationId}`, async () => events.find((e) => e.type === type && e.causationId === causationId)),
    outcome: (commandId) =>
      eventually(`the outcome of ${commandId}`, async () => events.find((e) => e.causationId === commandId && !e.type.endsWith('Requested'))),
    publishStorageEvent,
    async addPool(plugin, config) {
      const manifest = findPlugin(plugin)!.manifest;
      const poolId = randomUUID();
      const { secrets } = splitSecrets(config, manifest.secretConfigKeys);
      await app.get(PoolSecrets).save(dataSource().manager, poolId, secrets);
      const recorded = redactConfig(manifest, config);
      await publishStorageEvent('StoragePoolAdded', poolId, {
        poolId,
        name: `${plugin}-${poolId.slice(0, 4)}`,
        plugin,
        zoneId: 'z1',
        clusterId: null,
        tags: [],
        config: recorded,
        capacityBytes: 2 ** 40,
        usedBytes: 0,
      });
      await eventually(`pool ${poolId} in the view`, async () => (await view().pool(poolId)) ?? undefined);
      return { poolId, plugin, config: recorded };
    },
    driver: (pool) => app.get(DriverRegistry).forPool(pool),
    async createVolume(pool, sizeBytes) {
      const manifest = findPlugin(pool.plugin)!.manifest;
      const volumeId = randomUUID();
      const backendName = backendVolumeName(manifest, { volumeId, poolKey: poolKeyOf(pool.poolId), installationId });
      const made = await (await harness.driver(pool)).createVolume({ name: backendName, sizeBytes });
      await publishStorageEvent('VolumeCreationRequested', volumeId, {
        volumeId,
        name: `v-${volumeId.slice(0, 8)}`,
        poolId: pool.poolId,
        sizeBytes,
        volumeType: 'DATA',
        backendName,
        provisioning: 'thin',
        qos: null,
        allocation: null,
      });
      await publishStorageEvent('VolumeCreated', volumeId, { volumeId, poolId: pool.poolId, backendName, sizeBytes: made.sizeBytes, path: made.path ?? null });
      await eventually(`volume ${volumeId} ready in the view`, async () => ((await view().volume(volumeId))?.status === 'ready' ? true : undefined));
      return { volumeId, pool, backendName, sizeBytes: made.sizeBytes, path: made.path ?? null };
    },
    viewVolume: (volumeId) => view().volume(volumeId),
    viewPool: (poolId) => view().pool(poolId),
    async close() {
      await sub.stop();
      await bus.close();
      await app.close();
      await infra.dispose();
    },
  };
  return harness;
}
