import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { templateBaseId, topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { KafkaMessageBus } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra, useInfraEnv } from '@strata/testing';
import { AppModule } from './app.module';
import { makeApiKey, useBootstrapAdminKey, withKey } from './auth/api-key-testing.spec';
import { deploymentCommandId } from './deployments/domain/deployment';
import { setUpOpenApi } from './http/openapi';
import { rebuildBeforeServing, REBUILD_FLAG } from './read-models/api/startup-rebuild';
import { dumpReadModels, dumpRows } from './read-models/infrastructure/read-model-dump';

/**
 * Rebuilding the read models from the event topics, with the orchestrator in-process against
 * the real PostgreSQL and Kafka. The test plays the services: it publishes their events.
 */
describe('orchestrator: read models rebuilt from the event topics', () => {
  const GiB = 2 ** 30;
  const MiB = 2 ** 20;
  let infra: TestInfra;
  let app: INestApplication;
  let bus: KafkaMessageBus;
  let topics: Topics;
  let adminKey: string;
  const http = () => withKey(app, adminKey);
  const db = () => app.get(DataSource);
  const until = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 60_000);

  async function startApp(argv: readonly string[] = []): Promise<void> {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpOpenApi(app);
    // As main.ts does before listening.
    if (!(await rebuildBeforeServing(app, argv))) await app.init();
  }

  async function emit(topic: string, type: string, aggregateId: string, streamVersion: number | null, causationId: string | null, data: object, tenant: string | null = null) {
    const envelope: Envelope = {
      messageId: randomUUID(),
      kind: 'event',
      type,
      schemaVersion: 1,
      aggregateId,
      streamVersion,
      occurredAt: new Date().toISOString(),
      correlationId: causationId ?? randomUUID(),
      causationId,
      tenant,
      data,
    };
    await bus.publish([{ topic, key: aggregateId, value: JSON.stringify(envelope) }]);
    return envelope;
  }
  const storage = (type: string, id: string, v: number, cause: string | null, data: object, tenant: string | null = null) => emit(topics.storageEvents, type, id, v, cause, data, tenant);
  const snapshot = (type: string, id: string, v: number, cause: string | null, data: object, tenant: string | null = null) => emit(topics.snapshotEvents, type, id, v, cause, data, tenant);
  const image = (type: string, id: string, v: number, cause: string | null, data: object, tenant: string | null = null) => emit(topics.imageEvents, type, id, v, cause, data, tenant);
  const backup = (type: string, id: string, v: number, cause: string | null, data: object, tenant: string | null = null) => emit(topics.backupEvents, type, id, v, cause, data, tenant);

  const count = async (sql: string, params: unknown[] = []) => Number((await db().query(sql, params))[0].n);
  const outboxCommands = async () =>
    (await db().query(`SELECT payload->>'messageId' AS id, payload->>'type' AS type FROM orchestrator.outbox ORDER BY id`)) as { id: string; type: string }[];
  const job = (jobId: string, match: (b: Record<string, unknown>) => boolean, what: string) =>
    until(`job ${jobId} ${what}`, async () => {
      const res = await http().get(`/jobs/${jobId}`);
      return res.status === 200 && match(res.body) ? (res.body as Record<string, unknown>) : undefined;
    });

  /** Every topic-derived table, and the jobs (kept, only re-applied): all columns but seq, sorted (the fault run dumps the same way). */
  const dump = async (): Promise<Record<string, string[]>> => dumpRows(await dumpReadModels((sql) => db().query(sql)));

  const metric = async (name: string) => {
    const text = (await http().get('/metrics').expect(200)).text;
    return text.split('\n').filter((l) => l.startsWith(name));
  };

  let pool1: string;
  let pool2: string;
  let pendingDeploy: { volumeId: string; jobId: string };
  let templateId: string;

  beforeAll(async () => {
    infra = await createTestInfra('readmodels');
    useInfraEnv(infra);
    adminKey = useBootstrapAdminKey();
    topics = topicNames(infra.topicPrefix);
    await startApp();
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'orchestrator-read-models-int' });
  });

  afterAll(async () => {
    await bus?.close();
    await app?.close();
    await infra?.dispose();
  });

  it('projects a varied history: pools, hosts, volumes, snapshots, a policy, image stores, templates, deployments, backups', async () => {
    // Two pools, one through the API (its job is the REST command's).
    const added = await http().post('/pools').send({ name: 'fast-01', plugin: 'file', zoneId: 'zone-1', clusterId: 'c-1', config: { path: '/srv/fast' } }).expect(202);
    pool1 = added.body.poolId;
    pool2 = randomUUID();
    await storage('StoragePoolAdded', pool1, 1, added.body.jobId, { poolId: pool1, name: 'fast-01', plugin: 'file', zoneId: 'zone-1', clusterId: 'c-1', tags: ['ssd'], config: { path: '/srv/fast' }, capacityBytes: 100 * GiB, usedBytes: 0 });
    await storage('StoragePoolAdded', pool2, 1, null, { poolId: pool2, name: 'slow-01', plugin: 'file', zoneId: 'zone-2', clusterId: null, tags: [], config: { path: '/srv/slow' }, capacityBytes: 500 * GiB, usedBytes: 0 });
    const hostId = randomUUID();
    await storage('HostRegistered', hostId, 1, null, { hostId, name: 'kvm-1', zoneId: 'zone-1', clusterId: 'c-1', hypervisor: 'kvm', identities: {} });

    const volumes = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, volumeId] of volumes.entries()) {
      const poolId = i === 2 ? pool2 : pool1;
      const backendName = `vol-${volumeId}`;
      await storage('VolumeCreationRequested', volumeId, 1, null, { volumeId, name: `data-${i}`, poolId, sizeBytes: (i + 1) * GiB, volumeType: 'DATA', backendName }, 'acme');
      await storage('VolumeCreated', volumeId, 2, null, { volumeId, poolId, backendName, sizeBytes: (i + 1) * GiB, path: `/srv/${backendName}` }, 'acme');
    }
    const snapshotId = randomUUID();
    await snapshot('SnapshotRequested', snapshotId, 1, null, { snapshotId, volumeId: volumes[0], name: 'nightly', poolId: pool1, volumeBackendName: `vol-${volumes[0]}`, backendName: `snap-${snapshotId}`, policyId: null, dueAt: null }, 'acme');
    await snapshot('SnapshotCreated', snapshotId, 2, null, { snapshotId, volumeId: volumes[0], sizeBytes: GiB }, 'acme');
    const policyId = randomUUID();
    await snapshot('SnapshotPolicyCreated', policyId, 1, null, { policyId, volumeId: volumes[1], schedule: { kind: 'daily', time: '02:30', timeZone: 'UTC' }, retention: 3, createdAt: new Date().toISOString() }, 'acme');

    const storeId = randomUUID();
    await image('ImageStoreAdded', storeId, 1, null, { imageStoreId: storeId, name: 'images-1', zoneId: 'zone-1', path: '/srv/images', capacityBytes: 100 * GiB, freeBytes: 70 * GiB });
    templateId = randomUUID();
    await image('TemplateRegistrationRequested', templateId, 1, null, {
      templateId, name: 'debian-12', kind: 'template', format: 'qcow2', zoneId: 'zone-1', imageStoreId: storeId,
      source: { kind: 'url', url: 'https://images.example/debian-12.qcow2' }, checksum: null, osType: 'debian12', description: null, public: true,
    }, 'acme');
    await image('TemplateRegistered', templateId, 2, null, {
      templateId, imageStoreId: storeId, zoneId: 'zone-1', file: `templates/${templateId}.qcow2`, format: 'qcow2', virtualSizeBytes: 10 * GiB, physicalSizeBytes: 2 * GiB, sha256: 'ab'.repeat(32),
    }, 'acme');
    await until('the template ready', async () => ((await http().get(`/templates/${templateId}`)).body.status === 'ready' ? true : undefined));

    // A deployment carried to its end: its saga reacted to the base and to the volume.
    const deployed = await http().post(`/templates/${templateId}/volumes`).set('X-Tenant', 'acme').send({ name: 'vm-1-root', poolId: pool1, sizeBytes: 20 * GiB }).expect(202);
    const baseId = templateBaseId(templateId, pool1);
    const spoolId = deploymentCommandId(deployed.body.volumeId, 'spool');
    await until('the SpoolTemplate queued', async () => ((await outboxCommands()).some((c) => c.id === spoolId) ? true : undefined));
    const baseVolume = randomUUID();
    const baseSnapshot = randomUUID();
    await image('TemplateSpoolRequested', baseId, 1, spoolId, { baseId, templateId, poolId: pool1, volumeId: baseVolume, snapshotId: baseSnapshot, sizeBytes: 10 * GiB, attempt: 1 });
    await image('TemplateSpooled', baseId, 2, spoolId, { baseId, templateId, poolId: pool1, volumeId: baseVolume, snapshotId: baseSnapshot, sizeBytes: 10 * GiB });
    const createId = deploymentCommandId(deployed.body.volumeId, 'create');
    await until('the CreateVolume queued', async () => ((await outboxCommands()).some((c) => c.id === createId) ? true : undefined));
    const rootName = `vol-${deployed.body.volumeId}`;
    await storage('VolumeCreationRequested', deployed.body.volumeId, 1, createId, { volumeId: deployed.body.volumeId, name: 'vm-1-root', poolId: pool1, sizeBytes: 20 * GiB, volumeType: 'ROOT', backendName: rootName, source: { snapshotId: baseSnapshot, volumeId: baseVolume } }, 'acme');
    await storage('VolumeCreated', deployed.body.volumeId, 2, createId, { volumeId: deployed.body.volumeId, poolId: pool1, backendName: rootName, sizeBytes: 20 * GiB, path: `/srv/${rootName}` }, 'acme');
    await job(deployed.body.jobId, (b) => b.status === 'succeeded', 'succeeded');
    // A deployment still waiting for its base (on the second pool).
    const pending = await http().post(`/templates/${templateId}/volumes`).set('X-Tenant', 'acme').send({ name: 'vm-2-root', poolId: pool2 }).expect(202);
    pendingDeploy = pending.body;
    await job(pendingDeploy.jobId, (b) => b.status === 'running', 'running');

    const targetId = randomUUID();
    await backup('BackupTargetAdded', targetId, 1, null, { targetId, name: 'local', kind: 'directory', config: { path: '/srv/backups' } });
    const backupId = randomUUID();
    await backup('BackupRequested', backupId, 1, null, { backupId, volumeId: volumes[0], targetId, snapshotId, snapshotTaken: true, kind: 'full', parentBackupId: null, chunkSizeBytes: 4 * MiB, poolId: pool1, sizeBytes: GiB }, 'acme');
    await backup('BackupCompleted', backupId, 2, null, { backupId, volumeId: volumes[0], sizeBytes: GiB, chunks: 16, newChunks: 16, reusedChunks: 0, zeroChunks: 0, bytesWritten: 20 * MiB, manifestSha256: 'cd'.repeat(32) }, 'acme');

    // Last for each pool: a measurement, so the pool's updatedAt is its own last event's
    // whatever order the replay meets its volumes in (their usage moves it only forward).
    await storage('StoragePoolCapacityRefreshed', pool1, 2, null, { poolId: pool1, capacityBytes: 100 * GiB, usedBytes: 5 * GiB });
    await storage('StoragePoolCapacityRefreshed', pool2, 2, null, { poolId: pool2, capacityBytes: 500 * GiB, usedBytes: 3 * GiB });

    await until('everything projected', async () => {
      const done =
        (await count(`SELECT count(*) AS n FROM orchestrator.backups WHERE status = 'completed'`)) === 1 &&
        (await count(`SELECT count(*) AS n FROM orchestrator.pools WHERE used_bytes > 0`)) === 2 &&
        (await count(`SELECT count(*) AS n FROM orchestrator.snapshot_policies`)) === 1 &&
        (await count(`SELECT count(*) AS n FROM orchestrator.snapshots WHERE status = 'ready'`)) === 1 &&
        (await count(`SELECT count(*) AS n FROM orchestrator.hosts`)) === 1;
      return done ? true : undefined;
    });
    expect((await http().get('/read-models').expect(200)).body).toMatchObject({ state: 'live', generation: 0, jobId: null });
  });

  it('POST /read-models/rebuild empties and replays every topic: the same rows, no saga command sent again, state and metrics show it', async () => {
    const before = await dump();
    expect(before.pools).toHaveLength(2);
    expect(before.volumes).toHaveLength(4);
    expect(before.aggregate_events.length).toBeGreaterThan(20);
    const commandsBefore = await outboxCommands();
    const sagaEventsBefore = await count(`SELECT count(*) AS n FROM orchestrator.events WHERE stream_id LIKE 'deploy-%'`);

    // Admin only: an operator may look, not rebuild.
    const operatorKey = (await makeApiKey(app, adminKey, 'operator')).key;
    expect((await withKey(app, operatorKey).post('/read-models/rebuild').expect(403)).body.code).toBe('auth.forbidden');
    await withKey(app, operatorKey).get('/read-models').expect(200);

    const res = await http().post('/read-models/rebuild').expect(202);
    expect(res.body).toEqual({ jobId: expect.any(String) });
    const { jobId } = res.body;
    const during = (await http().get('/read-models').expect(200)).body;
    // Started when the 202 came: the new generation is recorded with what it replays, and it is
    // rebuilding at least until the first progress check (a second after the start).
    expect(during).toMatchObject({ state: 'rebuilding', generation: 1, jobId, startedAt: expect.any(String), finishedAt: null });
    expect(during.eventsToReplay).toBeGreaterThan(20);
    expect((await http().post('/read-models/rebuild').expect(409)).body.code).toBe('read_models.rebuild_running');

    const done = await job(jobId, (b) => b.status === 'succeeded' || b.status === 'failed', 'ended');
    expect(done).toMatchObject({ status: 'succeeded', commandType: 'RebuildReadModels', progress: 100, result: { generation: 1, eventsReplayed: during.eventsToReplay } });
    const after = (await http().get('/read-models').expect(200)).body;
    expect(after).toMatchObject({ state: 'live', generation: 1, jobId, eventsReplayed: during.eventsToReplay, finishedAt: expect.any(String) });

    // The rebuilt tables hold what the live projection made (the rebuild job's own row aside).
    const rebuilt = await dump();
    expect({ ...rebuilt, jobs: rebuilt.jobs.filter((r) => !r.includes(jobId)) }).toEqual(before);
    expect(await count(`SELECT count(*) AS n FROM orchestrator.inbox WHERE consumer <> 'orchestrator-projections'`)).toBe(0);

    // The sagas did not react again: no command queued, no saga event appended.
    expect(await outboxCommands()).toEqual(commandsBefore);
    expect(await count(`SELECT count(*) AS n FROM orchestrator.events WHERE stream_id LIKE 'deploy-%'`)).toBe(sagaEventsBefore);

    const rebuilding = await metric('strata_read_model_rebuilding');
    expect(rebuilding).toEqual([expect.stringMatching(/^strata_read_model_rebuilding\{service="orchestrator"\} 0$/)]);
    const replayed = await metric('strata_read_model_rebuild_events_total');
    expect(Number(replayed[0].split(' ').pop())).toBeGreaterThanOrEqual(during.eventsToReplay);
    await until('no projection lag', async () => ((await http().get('/read-models')).body.lagMessages === 0 ? true : undefined));
    const lag = await metric('strata_projection_lag_messages');
    expect(lag).toContainEqual(expect.stringMatching(new RegExp(`topic="${topics.storageEvents.replace(/\./g, '\\.')}".* 0$`)));
    expect((await metric('strata_projection_lag_seconds')).some((l) => l.includes(`topic="${topics.backupEvents}"`))).toBe(true);
  });

  it('after a rebuild the projection goes on: a waiting saga still reacts to its answer, once', async () => {
    const baseId = templateBaseId(templateId, pool2);
    const spoolId = deploymentCommandId(pendingDeploy.volumeId, 'spool');
    await image('TemplateSpoolRequested', baseId, 1, spoolId, { baseId, templateId, poolId: pool2, volumeId: randomUUID(), snapshotId: randomUUID(), sizeBytes: 10 * GiB, attempt: 1 });
    await image('TemplateSpooled', baseId, 2, spoolId, { baseId, templateId, poolId: pool2, volumeId: randomUUID(), snapshotId: randomUUID(), sizeBytes: 10 * GiB });
    const createId = deploymentCommandId(pendingDeploy.volumeId, 'create');
    await until('the CreateVolume queued', async () => ((await outboxCommands()).some((c) => c.id === createId) ? true : undefined));
    expect((await outboxCommands()).filter((c) => c.id === createId)).toHaveLength(1);
    await job(pendingDeploy.jobId, (b) => b.progress === 50, 'at 50 %');
  });

  it('a restart during a rebuild continues the same generation to its end', async () => {
    const before = await dump();
    const { jobId } = (await http().post('/read-models/rebuild').expect(202)).body;
    // Stopped while rebuilding (the first progress check comes a second after the start).
    expect((await http().get('/read-models').expect(200)).body).toMatchObject({ state: 'rebuilding', generation: 2, jobId });
    await app.close();
    await startApp();
    expect((await http().get('/read-models').expect(200)).body).toMatchObject({ generation: 2, jobId });
    await job(jobId, (b) => b.status === 'succeeded', 'succeeded');
    expect((await http().get('/read-models').expect(200)).body).toMatchObject({ state: 'live', generation: 2, jobId });
    const rebuilt = await dump();
    expect({ ...rebuilt, jobs: rebuilt.jobs.filter((r) => !r.includes(jobId)) }).toEqual(before);
  });

  it(`${REBUILD_FLAG} rebuilds before the app is handed back to serve, continuing from the recorded generation`, async () => {
    const before = await dump();
    await app.close();
    await startApp(['node', 'main.js', REBUILD_FLAG]);
    // Returned only once rebuilt: the next generation, live, the same rows.
    const state = (await http().get('/read-models').expect(200)).body;
    expect(state).toMatchObject({ state: 'live', generation: 3, finishedAt: expect.any(String) });
    const job = (await http().get(`/jobs/${state.jobId}`).expect(200)).body;
    expect(job).toMatchObject({ commandType: 'RebuildReadModels', status: 'succeeded', progress: 100 });
    const rebuilt = await dump();
    expect({ ...rebuilt, jobs: rebuilt.jobs.filter((r) => !r.includes(state.jobId)) }).toEqual(before);
  });
});
