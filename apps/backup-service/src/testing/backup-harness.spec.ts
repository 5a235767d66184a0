// Support for the backups integration spec (named .spec.ts so only tests may import it; not a test file itself).
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, open, truncate } from 'node:fs/promises';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { topics as topicNames, type Envelope, type ErrorInfo, type Topics } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { Clock } from '@strata/service-kit';
import { commandEnvelope, createTestInfra, eventually, useInfraEnv, type TestInfra } from '@strata/testing';
import { AppModule } from '../app.module';
import { ChunkEngine } from '../engine/chunk-engine';
import { BackupEngine, type BackupManifest, type BackupResult, type BackupRun, type ChunkStore, type RestoreRun, type VerifyResult } from '../engine/ports';

type Data = Record<string, unknown>;

/**
 * The real chunk engine, with a gate the test can close: the next backup waits at it (until
 * opened, or until its run is aborted by a shutdown), so a restart lands inside the data step.
 */
export class GatedEngine extends BackupEngine {
  readonly real = new ChunkEngine();
  private gate: { promise: Promise<void>; open: () => void } | null = null;
  /** Backups that reached the gate (for the test to wait on). */
  waiting = 0;
  runs = 0;

  closeGate(): void {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  openGate(): void {
    this.gate?.open();
    this.gate = null;
  }

  async backup(run: BackupRun): Promise<BackupResult> {
    this.runs += 1;
    const gate = this.gate;
    if (gate) {
      this.waiting += 1;
      await new Promise<void>((resolve, reject) => {
        void gate.promise.then(resolve);
        run.signal?.addEventListener('abort', () => reject(new Error('aborted at the gate')), { once: true });
      });
    }
    return this.real.backup(run);
  }
  restore(run: RestoreRun): Promise<BackupManifest> {
    return this.real.restore(run);
  }
  verify(backupId: string, store: ChunkStore): Promise<VerifyResult> {
    return this.real.verify(backupId, store);
  }
  readManifest(backupId: string, store: ChunkStore): Promise<BackupManifest | null> {
    return this.real.readManifest(backupId, store);
  }
}

/** The service's clock, set by the test: schedules are judged against it, garbage collection ages chunks by it. */
export class ManualClock extends Clock {
  constructor(private current: Date) {
    super();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string | Date): void {
    this.current = new Date(iso);
  }
}

export interface BackupHarnessOptions {
  /** Replaces the service's clock. */
  readonly clock?: Clock;
}

export interface BackupHarness {
  readonly infra: TestInfra;
  readonly app: INestApplication;
  readonly topics: Topics;
  readonly engine: GatedEngine;
  readonly hostId: string;
  /** Backup events published so far. */
  readonly events: Envelope[];
  /** Commands the service sent to the storage and snapshot services, in arrival order. */
  readonly commands: Envelope[];
  /** The "devices": each volume's file, and each snapshot's frozen copy. */
  readonly devices: Map<string, string>;
  /** The next command of this type is answered with its failure event instead. */
  failNext(type: 'CreateVolume' | 'CreateSnapshot' | 'AttachVolume', error: ErrorInfo): void;
  /** A volume the storage service has: VolumeCreated with a device file holding `content`; resolves once the view has it. */
  addVolume(poolId: string, content: Buffer): Promise<string>;
  send(type: string, aggregateId: string, data: unknown): Promise<string>;
  /** An event as the storage service publishes it on its own (no cause of ours). */
  publishStorage(type: string, aggregateId: string, data: Data): Promise<void>;
  eventFor(type: string, causationId: string): Promise<Envelope>;
  event(type: string, match: (e: Envelope) => boolean): Promise<Envelope>;
  restart(whileDown?: () => Promise<unknown>): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs the backup service (its real module, with the engine gated) in this process on real
 * PostgreSQL and Kafka. The harness plays the storage and snapshot services over Kafka: it
 * reads their command topics and answers each command with the events they would publish,
 * caused by the command (files under `dir` stand for volumes and snapshots).
 */
export async function startBackupHarness(label: string, dir: string, options: BackupHarnessOptions = {}): Promise<BackupHarness> {
  const infra = await createTestInfra(label);
  useInfraEnv(infra);
  const hostId = randomUUID();
  process.env.STRATA_BACKUP_HOST_ID = hostId;
  const topics = topicNames(infra.topicPrefix);
  const engine = new GatedEngine();
  const startApp = async () => {
    let builder = Test.createTestingModule({ imports: [AppModule] }).overrideProvider(BackupEngine).useValue(engine);
    if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
    return app;
  };
  let app = await startApp();

  const bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: `${label}-int` });
  const events: Envelope[] = [];
  const commands: Envelope[] = [];
  const devices = new Map<string, string>();
  const failures = new Map<string, ErrorInfo>();
  const versions = new Map<string, number>();
  const sizes = new Map<string, number>();
  await mkdir(dir, { recursive: true });

  const publish = async (route: 'storage' | 'snapshot', type: string, aggregateId: string, data: Data, causationId: string | null) => {
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
    await bus.publish([{ topic: route === 'storage' ? topics.storageEvents : topics.snapshotEvents, key: aggregateId, value: JSON.stringify(envelope) }]);
  };

  /** What the storage and snapshot services would do with each command (idempotent by command id, like their inboxes). */
  const answered = new Set<string>();
  const answer = async (c: Envelope<string, Data>) => {
    if (answered.has(c.messageId)) return;
    answered.add(c.messageId);
    const id = c.aggregateId;
    const d = c.data;
    const failure = failures.get(c.type);
    if (failure) failures.delete(c.type);
    switch (c.type) {
      case 'CreateSnapshot': {
        const volumeId = d.volumeId as string;
        if (failure) return publish('snapshot', 'SnapshotCreationFailed', id, { snapshotId: id, volumeId, error: failure }, c.messageId);
        // The snapshot freezes the volume's bytes as they are now.
        const file = path.join(dir, `snapshot-${id}`);
        await copyFile(devices.get(volumeId) as string, file);
        devices.set(id, file);
        sizes.set(id, sizes.get(volumeId) ?? 0);
        return publish('snapshot', 'SnapshotCreated', id, { snapshotId: id, volumeId, sizeBytes: sizes.get(volumeId) ?? 0 }, c.messageId);
      }
      case 'CreateVolume': {
        const poolId = d.poolId as string;
        const sizeBytes = d.sizeBytes as number;
        await publish('storage', 'VolumeCreationRequested', id, { volumeId: id, name: d.name, poolId, sizeBytes, volumeType: 'DATA', backendName: `vol-${id}` }, c.messageId);
        if (failure) return publish('storage', 'VolumeCreationFailed', id, { volumeId: id, poolId, error: failure }, c.messageId);
        const file = path.join(dir, `volume-${id}`);
        const from = (d.fromSnapshot as { snapshotId: string } | undefined)?.snapshotId;
        if (from) await copyFile(devices.get(from) as string, file);
        else await (await open(file, 'w')).close();
        await truncate(file, sizeBytes);
        devices.set(id, file);
        sizes.set(id, sizeBytes);
        return publish('storage', 'VolumeCreated', id, { volumeId: id, poolId, backendName: `vol-${id}`, sizeBytes, path: null }, c.messageId);
      }
      case 'AttachVolume':
        if (failure) return publish('storage', 'VolumeAttachFailed', id, { volumeId: id, hostId: d.hostId, error: failure }, c.messageId);
        return publish('storage', 'VolumeAttached', id, { volumeId: id, hostId: d.hostId, devicePath: devices.get(id) }, c.messageId);
      case 'DetachVolume':
        return publish('storage', 'VolumeDetached', id, { volumeId: id, hostId: d.hostId }, c.messageId);
      case 'DeleteVolume':
        return publish('storage', 'VolumeDeleted', id, { volumeId: id, poolId: 'unknown', sizeBytes: sizes.get(id) ?? 0 }, c.messageId);
      case 'DeleteSnapshot':
        return publish('snapshot', 'SnapshotDeleted', id, { snapshotId: id, volumeId: 'unknown' }, c.messageId);
      default:
        return;
    }
  };

  const subs: Subscription[] = [
    await bus.subscribe({
      groupId: `${infra.topicPrefix}observer-events`,
      topics: [topics.backupEvents],
      fromBeginning: true,
      handle: async (m) => void events.push(JSON.parse(m.value!.toString('utf8')) as Envelope),
    }),
    await bus.subscribe({
      groupId: `${infra.topicPrefix}other-services`,
      topics: [topics.storageCommands, topics.snapshotCommands],
      fromBeginning: true,
      handle: async (m) => {
        const c = JSON.parse(m.value!.toString('utf8')) as Envelope<string, Data>;
        commands.push(c);
        await answer(c);
      },
    }),
  ];

  const harness: BackupHarness = {
    infra,
    get app() {
      return app;
    },
    topics,
    engine,
    hostId,
    events,
    commands,
    devices,
    failNext(type, error) {
      failures.set(type, error);
    },
    async addVolume(poolId, content) {
      const volumeId = randomUUID();
      const file = path.join(dir, `volume-${volumeId}`);
      const handle = await open(file, 'w');
      await handle.write(content, 0, content.length, 0);
      await handle.close();
      devices.set(volumeId, file);
      sizes.set(volumeId, content.length);
      await publish('storage', 'VolumeCreated', volumeId, { volumeId, poolId, backendName: `vol-${volumeId}`, sizeBytes: content.length, path: null }, null);
      await eventually(`volume ${volumeId} in the backup service's view`, async () => {
        const found: unknown[] = await app.get(DataSource).query(`SELECT 1 FROM "backup".view_volumes WHERE volume_id = $1`, [volumeId]);
        return found.length ? true : undefined;
      });
      return volumeId;
    },
    async send(type, aggregateId, data) {
      const command = commandEnvelope(type, aggregateId, data);
      await bus.publish([{ topic: topics.backupCommands, key: aggregateId, value: JSON.stringify(command) }]);
      return command.messageId;
    },
    publishStorage: (type, aggregateId, data) => publish('storage', type, aggregateId, data, null),
    eventFor: (type, causationId) =>
      eventually(`${type} caused by ${causationId}`, async () => events.find((e) => e.type === type && e.causationId === causationId), 60_000),
    event: (type, match) => eventually(`event ${type}`, async () => events.find((e) => e.type === type && match(e)), 60_000),
    async restart(whileDown) {
      await app.close();
      await whileDown?.();
      // Another harness (a second installation) may have set the environment since: this one's database, topics and host again.
      useInfraEnv(infra);
      process.env.STRATA_BACKUP_HOST_ID = hostId;
      app = await startApp();
    },
    async close() {
      for (const sub of subs) await sub.stop();
      await bus.close();
      await app.close();
      await infra.dispose();
    },
  };
  return harness;
}
