import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra, useInfraEnv } from '@strata/testing';
import { AppModule } from './app.module';
import { makeApiKey, useBootstrapAdminKey, withKey } from './auth/api-key-testing.spec';
import { setUpOpenApi } from './http/openapi';

/**
 * Backup targets, backups, restores and schedules, with the orchestrator in-process against the
 * real PostgreSQL and Kafka. The test plays the backup service (and the storage service, for the
 * volume): it reads the commands the orchestrator publishes and answers with their events.
 */
describe('orchestrator: backups on real Kafka and PostgreSQL', () => {
  const MiB = 2 ** 20;
  const GiB = 2 ** 30;
  const SECRET = `s3-secret-${randomUUID()}`;
  const POOL_TOKEN = `sp-token-${randomUUID()}`;
  let infra: TestInfra;
  let app: INestApplication;
  let bus: KafkaMessageBus;
  let topics: Topics;
  let observer: Subscription;
  const commands: { topic: string; key: string; envelope: Envelope }[] = [];
  /** Every response body of the run, searched for the secret at the end. */
  const bodies: string[] = [];
  // Admin requests; those with X-Tenant act for that tenant, as a cloud platform does.
  let adminKey: string;
  let acmeKey: string;
  let operatorKey: string;
  const http = () => withKey(app, adminKey);
  const until = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 30_000);
  const commandFor = (messageId: string) => until(`command ${messageId}`, async () => commands.find((c) => c.envelope.messageId === messageId));
  const keep = <T extends { text: string }>(res: T): T => {
    bodies.push(res.text);
    return res;
  };

  async function emit(topic: string, type: string, aggregateId: string, streamVersion: number, causationId: string | null, data: object, tenant: string | null = null) {
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
  }
  const emitBackup = (type: string, aggregateId: string, version: number, causationId: string | null, data: object, tenant: string | null = null) =>
    emit(topics.backupEvents, type, aggregateId, version, causationId, data, tenant);
  const job = (jobId: string, match: (body: Record<string, unknown>) => boolean, what: string) =>
    until(`job ${jobId} ${what}`, async () => {
      const res = keep(await http().get(`/jobs/${jobId}`));
      return res.status === 200 && match(res.body) ? res.body : undefined;
    });
  const jobStatus = (jobId: string, status: string) => job(jobId, (b) => b.status === status, status);

  let poolId: string;
  let volumeId: string;
  let otherVolumeId: string;

  beforeAll(async () => {
    infra = await createTestInfra('backups');
    useInfraEnv(infra);
    adminKey = useBootstrapAdminKey();
    topics = topicNames(infra.topicPrefix);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpOpenApi(app);
    await app.init();
    acmeKey = (await makeApiKey(app, adminKey, 'tenant', 'acme')).key;
    operatorKey = (await makeApiKey(app, adminKey, 'operator')).key;
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'orchestrator-backups-int' });
    observer = await bus.subscribe({
      groupId: `${infra.topicPrefix}observer`,
      topics: [topics.backupCommands, topics.storageCommands],
      handle: async (m) => {
        commands.push({ topic: m.topic, key: m.key!.toString('utf8'), envelope: JSON.parse(m.value!.toString('utf8')) as Envelope });
      },
    });
    // A pool and two volumes of two tenants, as the storage service would announce them.
    poolId = randomUUID();
    await emit(topics.storageEvents, 'StoragePoolAdded', poolId, 1, null, {
      poolId, name: 'fast-01', plugin: 'file', zoneId: 'zone-1', clusterId: null, tags: [], config: { path: '/srv/fast' }, capacityBytes: 100 * GiB, usedBytes: 0,
    });
    volumeId = randomUUID();
    otherVolumeId = randomUUID();
    for (const [id, tenant] of [[volumeId, 'acme'], [otherVolumeId, 'globex']] as const) {
      await emit(topics.storageEvents, 'VolumeCreationRequested', id, 1, null, { volumeId: id, poolId, name: `v-${tenant}`, sizeBytes: 64 * MiB, backendName: `vol-${id}` }, tenant);
      await emit(topics.storageEvents, 'VolumeCreated', id, 2, null, { volumeId: id, poolId, sizeBytes: 64 * MiB, backendName: `vol-${id}`, path: `/srv/fast/vol-${id}.raw` }, tenant);
    }
    await until('the volumes', async () => ((await http().get(`/volumes/${otherVolumeId}`)).body?.status === 'ready' ? true : undefined));
  });

  afterAll(async () => {
    await observer?.stop();
    await bus?.close();
    await app?.close();
    await infra?.dispose();
  });

  let targetId: string;
  let dirTargetId: string;

  it('POST /backup-targets publishes AddBackupTarget with the secret on the backup commands topic only; operators only; the target shows it redacted', async () => {
    const s3 = { endpoint: 'http://127.0.0.1:4569', bucket: 'strata-bkp', accessKeyId: 'AKIDTEST', secretAccessKey: SECRET, forcePathStyle: true };
    expect(keep(await withKey(app, acmeKey).post('/backup-targets').send({ name: 'offsite', kind: 's3', s3 }).expect(403)).body.code).toBe('auth.forbidden');
    // An s3 target carries a secret key: an operator key may not send it, and is told which field.
    const byOperator = keep(await withKey(app, operatorKey).post('/backup-targets').send({ name: 'offsite', kind: 's3', s3 }).expect(403)).body;
    expect(byOperator).toEqual({ statusCode: 403, code: 'auth.forbidden', message: expect.stringContaining('s3.secretAccessKey') });
    expect(JSON.stringify(byOperator)).not.toContain(SECRET);
    const bad = keep(await http().post('/backup-targets').send({ name: 'offsite', kind: 's3', s3: { ...s3, bucket: 'Bad_Bucket' } }).expect(400)).body;
    expect(bad.violations).toEqual([expect.objectContaining({ field: 's3.bucket' })]);

    const res = keep(await http().post('/backup-targets').set('X-Correlation-Id', 'corr-target').send({ name: 'offsite', kind: 's3', s3 }).expect(202));
    expect(res.body).toEqual({ jobId: expect.any(String), targetId: expect.any(String) });
    targetId = res.body.targetId;
    const command = await commandFor(res.body.jobId);
    expect([command.topic, command.key]).toEqual([topics.backupCommands, targetId]);
    // The secret passes through in the command, to the backup service that seals it.
    expect(command.envelope).toMatchObject({ kind: 'command', type: 'AddBackupTarget', aggregateId: targetId, correlationId: 'corr-target', tenant: null, data: { name: 'offsite', kind: 's3', s3 } });

    await emitBackup('BackupTargetAdded', targetId, 1, res.body.jobId, { targetId, name: 'offsite', kind: 's3', config: { ...s3, secretAccessKey: '***' } });
    expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ targetId });
    expect(keep(await http().get(`/backup-targets/${targetId}`).expect(200)).body).toEqual({
      id: targetId,
      name: 'offsite',
      kind: 's3',
      config: { endpoint: 'http://127.0.0.1:4569', bucket: 'strata-bkp', accessKeyId: 'AKIDTEST', forcePathStyle: true, secretAccessKey: '***' },
      status: 'active',
      lastGarbageCollection: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    // A directory target carries no credential: an operator key may add it.
    const dir = keep(await withKey(app, operatorKey).post('/backup-targets').send({ name: 'local', kind: 'directory', directory: { path: '/srv/backups' } }).expect(202));
    dirTargetId = dir.body.targetId;
    await emitBackup('BackupTargetAdded', dirTargetId, 1, dir.body.jobId, { targetId: dirTargetId, name: 'local', kind: 'directory', config: { path: '/srv/backups' } });
    await jobStatus(dir.body.jobId, 'succeeded');
    // Tenants read targets (to choose one); the list filters by kind.
    const ids = (body: { items: { id: string }[] }) => body.items.map((t) => t.id);
    expect(ids(keep(await http().get('/backup-targets').set('X-Tenant', 'acme').expect(200)).body)).toEqual([targetId, dirTargetId]);
    expect(ids(keep(await http().get('/backup-targets').query({ kind: 'directory' }).expect(200)).body)).toEqual([dirTargetId]);
    expect(keep(await http().get(`/backup-targets/${targetId}/events`).expect(200)).body.items.map((e: Envelope) => e.type)).toEqual(['BackupTargetAdded']);
  });

  let fullId: string;
  let incrementalId: string;

  it("POST /volumes/:id/backups publishes CreateBackup under the volume's tenant; the backup's events make its row, its job's progress and result", async () => {
    const bad = keep(await http().post(`/volumes/${volumeId}/backups`).set('X-Tenant', 'acme').send({ targetId, volumeId: randomUUID(), full: 'yes' }).expect(400)).body;
    expect(bad.violations.map((v: { field: string }) => v.field).sort()).toEqual(['full', 'volumeId']);
    expect(keep(await http().post(`/volumes/${volumeId}/backups`).set('X-Tenant', 'acme').send({ targetId: randomUUID() }).expect(404)).body.code).toBe('backup_target.not_found');
    expect(keep(await http().post(`/volumes/${volumeId}/backups`).set('X-Tenant', 'globex').send({ targetId }).expect(404)).body.code).toBe('volume.not_found');
    const badSnapshot = keep(await http().post(`/volumes/${volumeId}/backups`).send({ targetId, snapshotId: randomUUID() }).expect(400)).body;
    expect(badSnapshot.violations).toEqual([expect.objectContaining({ field: 'snapshotId', rule: 'snapshotOfVolume' })]);

    // An operator backs up the tenant's volume: the backup is the tenant's.
    const res = keep(await http().post(`/volumes/${volumeId}/backups`).send({ targetId }).expect(202));
    expect(res.body).toEqual({ jobId: expect.any(String), backupId: expect.any(String) });
    fullId = res.body.backupId;
    const command = await commandFor(res.body.jobId);
    expect([command.topic, command.key]).toEqual([topics.backupCommands, fullId]);
    expect(command.envelope).toMatchObject({ type: 'CreateBackup', aggregateId: fullId, tenant: 'acme', data: { volumeId, targetId } });

    const jobId = res.body.jobId;
    const snapshotId = randomUUID();
    await emitBackup('BackupRequested', fullId, 1, jobId, { backupId: fullId, volumeId, targetId, snapshotId, snapshotTaken: true, kind: 'full', parentBackupId: null, chunkSizeBytes: 4 * MiB, poolId, sizeBytes: 64 * MiB }, 'acme');
    await emitBackup('BackupStepRequested', fullId, 2, jobId, { backupId: fullId, step: 'snapshot', commandId: randomUUID(), aggregateId: snapshotId }, 'acme');
    await emitBackup('BackupProgressed', fullId, 3, jobId, { backupId: fullId, bytesDone: 16 * MiB, bytesTotal: 64 * MiB, percent: 25 }, 'acme');
    await job(jobId, (b) => b.status === 'running' && b.progress === 25, 'running at 25 %');
    const figures = { chunks: 16, newChunks: 16, reusedChunks: 0, zeroChunks: 0, bytesWritten: 20 * MiB, manifestSha256: 'cd'.repeat(32) };
    await emitBackup('BackupCompleted', fullId, 4, jobId, { backupId: fullId, volumeId, sizeBytes: 64 * MiB, ...figures }, 'acme');
    expect(await jobStatus(jobId, 'succeeded')).toMatchObject({ progress: 100, result: { backupId: fullId, newChunks: 16, bytesWritten: 20 * MiB } });
    expect(keep(await http().get(`/backups/${fullId}`).set('X-Tenant', 'acme').expect(200)).body).toEqual({
      id: fullId, volumeId, targetId, snapshotId, kind: 'full', parentBackupId: null, status: 'completed', sizeBytes: 64 * MiB,
      chunks: 16, newChunks: 16, reusedChunks: 0, zeroChunks: 0, bytesWritten: 20 * MiB, progressPercent: 100, lastVerification: null, error: null,
      tenant: 'acme', createdAt: expect.any(String), completedAt: expect.any(String), updatedAt: expect.any(String), chain: [],
    });

    // The next one is incremental: its chain goes up to the full one.
    const next = keep(await http().post(`/volumes/${volumeId}/backups`).set('X-Tenant', 'acme').send({ targetId }).expect(202));
    incrementalId = next.body.backupId;
    await emitBackup('BackupRequested', incrementalId, 1, next.body.jobId, { backupId: incrementalId, volumeId, targetId, snapshotId: randomUUID(), snapshotTaken: true, kind: 'incremental', parentBackupId: fullId, chunkSizeBytes: 4 * MiB, poolId, sizeBytes: 64 * MiB }, 'acme');
    await emitBackup('BackupCompleted', incrementalId, 2, next.body.jobId, { backupId: incrementalId, volumeId, sizeBytes: 64 * MiB, ...figures, newChunks: 1, reusedChunks: 15, bytesWritten: MiB }, 'acme');
    await jobStatus(next.body.jobId, 'succeeded');
    expect(keep(await http().get(`/backups/${incrementalId}`).set('X-Tenant', 'acme').expect(200)).body).toMatchObject({ kind: 'incremental', parentBackupId: fullId, chain: [fullId], newChunks: 1 });

    // The lists: by volume, target and status, scoped by tenant; another tenant's backup is 404.
    const ids = (body: { items: { id: string }[] }) => body.items.map((b) => b.id);
    expect(ids(keep(await http().get('/backups').set('X-Tenant', 'acme').query({ volumeId }).expect(200)).body)).toEqual([fullId, incrementalId]);
    expect(ids(keep(await http().get('/backups').query({ targetId: dirTargetId }).expect(200)).body)).toEqual([]);
    expect(ids(keep(await http().get('/backups').set('X-Tenant', 'globex').expect(200)).body)).toEqual([]);
    expect(ids(keep(await http().get('/backups').query({ status: 'completed', limit: 1 }).expect(200)).body)).toEqual([fullId]);
    expect(keep(await http().get(`/backups/${fullId}`).set('X-Tenant', 'globex').expect(404)).body.code).toBe('backup.not_found');
    expect(keep(await http().get(`/backups/${fullId}/events`).set('X-Tenant', 'acme').expect(200)).body.items.map((e: Envelope) => e.type)).toEqual([
      'BackupRequested', 'BackupStepRequested', 'BackupProgressed', 'BackupCompleted',
    ]);
  });

  it('POST /backups/:id/verify and /restore publish VerifyBackup and RestoreBackup; a restore is followed at GET /restores/:id', async () => {
    const verify = keep(await http().post(`/backups/${fullId}/verify`).set('X-Tenant', 'acme').expect(202));
    expect((await commandFor(verify.body.jobId)).envelope).toMatchObject({ type: 'VerifyBackup', aggregateId: fullId, tenant: 'acme', data: {} });
    await emitBackup('BackupVerified', fullId, 5, verify.body.jobId, { backupId: fullId, chunksChecked: 16 }, 'acme');
    await jobStatus(verify.body.jobId, 'succeeded');
    expect(keep(await http().get(`/backups/${fullId}`).expect(200)).body.lastVerification).toMatchObject({ result: 'succeeded', chunksChecked: 16 });
    expect(keep(await http().post(`/backups/${fullId}/verify`).set('X-Tenant', 'globex').expect(404)).body.code).toBe('backup.not_found');

    expect(keep(await http().post(`/backups/${fullId}/restore`).set('X-Tenant', 'acme').send({ poolId: randomUUID(), name: 'r' }).expect(404)).body.code).toBe('pool.not_found');
    expect(keep(await http().post(`/backups/${fullId}/restore`).set('X-Tenant', 'acme').send({}).expect(400)).body.violations.map((v: { field: string }) => v.field)).toEqual(expect.arrayContaining(['name', 'poolId']));
    const restore = keep(await http().post(`/backups/${fullId}/restore`).set('X-Tenant', 'acme').send({ poolId, name: 'restored-1' }).expect(202));
    expect(restore.body).toEqual({ jobId: expect.any(String), restoreId: expect.any(String) });
    const restoreId = restore.body.restoreId;
    const command = await commandFor(restore.body.jobId);
    expect([command.topic, command.key]).toEqual([topics.backupCommands, restoreId]);
    expect(command.envelope).toMatchObject({ type: 'RestoreBackup', aggregateId: restoreId, tenant: 'acme', data: { backupId: fullId, poolId, name: 'restored-1' } });
    const newVolume = randomUUID();
    await emitBackup('RestoreRequested', restoreId, 1, restore.body.jobId, { restoreId, backupId: fullId, volumeId: newVolume, mode: 'new', poolId, sizeBytes: 64 * MiB }, 'acme');
    await emitBackup('RestoreProgressed', restoreId, 2, restore.body.jobId, { restoreId, bytesDone: 32 * MiB, bytesTotal: 64 * MiB, percent: 50 }, 'acme');
    await job(restore.body.jobId, (b) => b.progress === 50, 'at 50 %');
    await emitBackup('RestoreCompleted', restoreId, 3, restore.body.jobId, { restoreId, backupId: fullId, volumeId: newVolume }, 'acme');
    expect((await jobStatus(restore.body.jobId, 'succeeded')).result).toEqual({ restoreId, backupId: fullId, volumeId: newVolume });
    expect(keep(await http().get(`/restores/${restoreId}`).set('X-Tenant', 'acme').expect(200)).body).toMatchObject({
      id: restoreId, backupId: fullId, volumeId: newVolume, mode: 'new', poolId, status: 'completed', progressPercent: 100, error: null, tenant: 'acme',
    });
    expect(keep(await http().get(`/restores/${restoreId}`).set('X-Tenant', 'globex').expect(404)).body.code).toBe('restore.not_found');

    // Over the original: the answer names the volume written.
    const over = keep(await http().post(`/backups/${incrementalId}/restore`).send({ overOriginal: true }).expect(202));
    expect(over.body).toEqual({ jobId: expect.any(String), restoreId: expect.any(String), volumeId });
    expect((await commandFor(over.body.jobId)).envelope).toMatchObject({ type: 'RestoreBackup', tenant: 'acme', data: { backupId: incrementalId, overOriginal: true } });
  });

  it('refuses what the read model can tell: verify or restore of a backup not completed, a second delete', async () => {
    const pending = randomUUID();
    await emitBackup('BackupRequested', pending, 1, null, { backupId: pending, volumeId, targetId, snapshotId: randomUUID(), snapshotTaken: true, kind: 'incremental', parentBackupId: incrementalId, chunkSizeBytes: MiB, poolId, sizeBytes: 64 * MiB }, 'acme');
    await until('the pending backup', async () => ((await http().get(`/backups/${pending}`)).status === 200 ? true : undefined));
    expect(keep(await http().post(`/backups/${pending}/verify`).expect(409)).body.code).toBe('backup.not_completed');
    expect(keep(await http().post(`/backups/${pending}/restore`).send({ overOriginal: true }).expect(409)).body.code).toBe('backup.not_completed');
    expect(keep(await http().get(`/backups/${pending}`).expect(200)).body.chain).toEqual([incrementalId, fullId]);

    const del = keep(await http().delete(`/backups/${pending}`).set('X-Tenant', 'acme').expect(202));
    expect((await commandFor(del.body.jobId)).envelope).toMatchObject({ type: 'DeleteBackup', aggregateId: pending, tenant: 'acme' });
    await emitBackup('BackupDeletionRequested', pending, 2, del.body.jobId, { backupId: pending }, 'acme');
    await emitBackup('BackupDeleted', pending, 3, del.body.jobId, { backupId: pending }, 'acme');
    await jobStatus(del.body.jobId, 'succeeded');
    expect(keep(await http().delete(`/backups/${pending}`).expect(409)).body.code).toBe('backup.already_deleted');
    expect(keep(await http().get('/backups').query({ volumeId }).expect(200)).body.items.map((b: { id: string }) => b.id)).toEqual([fullId, incrementalId]);
    expect(keep(await http().get('/backups').query({ status: 'deleted' }).expect(200)).body.items.map((b: { id: string }) => b.id)).toEqual([pending]);
  });

  it('backup schedules: POST /volumes/:id/backup-schedules, GET /backup-schedules, DELETE, scoped by tenant', async () => {
    const schedule = { kind: 'daily', time: '02:30', timeZone: 'Europe/Sofia' };
    expect(keep(await http().post(`/volumes/${volumeId}/backup-schedules`).send({ targetId, schedule, retention: 0 }).expect(400)).body.violations).toEqual([
      expect.objectContaining({ field: 'retention', rule: 'min' }),
    ]);
    const res = keep(await http().post(`/volumes/${volumeId}/backup-schedules`).set('X-Tenant', 'acme').send({ targetId, schedule, retention: 7 }).expect(202));
    const scheduleId = res.body.scheduleId;
    expect((await commandFor(res.body.jobId)).envelope).toMatchObject({ type: 'CreateBackupSchedule', aggregateId: scheduleId, tenant: 'acme', data: { volumeId, targetId, schedule, retention: 7 } });
    await emitBackup('BackupScheduleCreated', scheduleId, 1, res.body.jobId, { scheduleId, volumeId, targetId, schedule, retention: 7 }, 'acme');
    await jobStatus(res.body.jobId, 'succeeded');
    await emitBackup('BackupScheduleRunRecorded', scheduleId, 2, null, { scheduleId, dueAt: '2026-11-22T00:30:00.000Z', backupId: fullId });
    const shown = await until('the run recorded', async () => {
      const body = keep(await http().get('/backup-schedules').set('X-Tenant', 'acme').query({ volumeId }).expect(200)).body;
      return body.items[0]?.lastBackupId === fullId ? body.items : undefined;
    });
    expect(shown).toEqual([expect.objectContaining({ id: scheduleId, volumeId, targetId, schedule, retention: 7, status: 'active', lastRunDueAt: '2026-11-22T00:30:00.000Z', tenant: 'acme' })]);
    expect(keep(await http().get('/backup-schedules').set('X-Tenant', 'globex').expect(200)).body.items).toEqual([]);
    expect(keep(await http().delete(`/backup-schedules/${scheduleId}`).set('X-Tenant', 'globex').expect(404)).body.code).toBe('backup_schedule.not_found');
    const del = keep(await http().delete(`/backup-schedules/${scheduleId}`).set('X-Tenant', 'acme').expect(202));
    expect((await commandFor(del.body.jobId)).envelope).toMatchObject({ type: 'DeleteBackupSchedule', aggregateId: scheduleId });
    await emitBackup('BackupScheduleDeleted', scheduleId, 3, del.body.jobId, { scheduleId }, 'acme');
    await jobStatus(del.body.jobId, 'succeeded');
    expect(keep(await http().get(`/backup-schedules/${scheduleId}`).expect(200)).body.status).toBe('deleted');
  });

  it('target operations: garbage collection and import (operators only), removal', async () => {
    expect(keep(await withKey(app, acmeKey).post(`/backup-targets/${dirTargetId}/garbage-collection`).expect(403)).body.code).toBe('auth.forbidden');
    const gc = keep(await http().post(`/backup-targets/${dirTargetId}/garbage-collection`).expect(202));
    expect((await commandFor(gc.body.jobId)).envelope).toMatchObject({ type: 'CollectBackupGarbage', aggregateId: dirTargetId, data: {} });
    await emitBackup('BackupGarbageCollected', dirTargetId, 2, gc.body.jobId, { targetId: dirTargetId, manifests: 2, chunksKept: 17, chunksDeleted: 3, chunksTooYoung: 0 });
    await jobStatus(gc.body.jobId, 'succeeded');
    expect(keep(await http().get(`/backup-targets/${dirTargetId}`).expect(200)).body.lastGarbageCollection).toMatchObject({ status: 'succeeded', chunksDeleted: 3 });

    const foreign = randomUUID();
    const imp = keep(await http().post(`/backup-targets/${dirTargetId}/imports`).send({ backupId: foreign }).expect(202));
    expect(imp.body).toEqual({ jobId: expect.any(String), backupId: foreign });
    expect((await commandFor(imp.body.jobId)).envelope).toMatchObject({ type: 'ImportBackup', aggregateId: foreign, data: { targetId: dirTargetId } });
    await emitBackup('BackupImported', foreign, 1, imp.body.jobId, { backupId: foreign, targetId: dirTargetId, volumeId: randomUUID(), kind: 'full', parentBackupId: null, sizeBytes: MiB, chunks: 1, manifestSha256: 'ef', createdAt: '2026-01-01T00:00:00.000Z' });
    await jobStatus(imp.body.jobId, 'succeeded');
    expect(keep(await http().get(`/backups/${foreign}`).expect(200)).body).toMatchObject({ status: 'imported', tenant: null });
    expect(keep(await http().post(`/backup-targets/${dirTargetId}/imports`).send({ backupId: 'x' }).expect(400)).body.violations).toEqual([expect.objectContaining({ field: 'backupId' })]);

    const rm = keep(await http().delete(`/backup-targets/${dirTargetId}`).expect(202));
    expect((await commandFor(rm.body.jobId)).envelope).toMatchObject({ type: 'RemoveBackupTarget', aggregateId: dirTargetId });
    await emitBackup('BackupTargetRemoved', dirTargetId, 3, rm.body.jobId, { targetId: dirTargetId });
    await jobStatus(rm.body.jobId, 'succeeded');
    expect(keep(await http().delete(`/backup-targets/${dirTargetId}`).expect(409)).body.code).toBe('backup_target.already_removed');
    expect(keep(await http().post(`/volumes/${volumeId}/backups`).send({ targetId: dirTargetId }).expect(409)).body.code).toBe('backup_target.already_removed');
  });

  it("keeps a pool's credential out of the outbox the same way once AddStoragePool is published", async () => {
    const res = keep(await http().post('/pools').send({ name: 'sp-1', plugin: 'storpool', zoneId: 'zone-1', config: { host: 'sp.example', authToken: POOL_TOKEN, template: 'nvme' } }).expect(202));
    const command = await commandFor(res.body.jobId);
    expect(command.envelope).toMatchObject({ type: 'AddStoragePool', data: { config: { authToken: POOL_TOKEN } } });
    const db = app.get(DataSource);
    await until('the AddStoragePool outbox row redacted', async () => {
      const rows: { payload: { data: { config: Record<string, unknown> } } }[] = await db.query(`SELECT payload FROM orchestrator.outbox WHERE payload->>'messageId' = $1 AND published_at IS NOT NULL`, [res.body.jobId]);
      return rows[0]?.payload.data.config.authToken === '***' ? rows[0] : undefined;
    });
  });

  it('keeps the S3 secret (and the pool token) out of every orchestrator table row (events, outbox once published, read models, jobs) and every response', async () => {
    const db = app.get(DataSource);
    // The outbox row that carried it is redacted once published.
    const outbox = await until('the AddBackupTarget outbox row redacted', async () => {
      const rows: { payload: { data: { s3: { secretAccessKey: string } } }; published_at: Date | null }[] = await db.query(
        `SELECT payload, published_at FROM orchestrator.outbox WHERE payload->>'type' = 'AddBackupTarget' AND payload->'data'->>'kind' = 's3'`,
      );
      return rows.length === 1 && rows[0].payload.data.s3.secretAccessKey === '***' ? rows : undefined;
    });
    expect(outbox[0].published_at).not.toBeNull();
    // Every row of every table in the orchestrator's schema, as text.
    const tables: { table_name: string }[] = await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'orchestrator' AND table_type = 'BASE TABLE'`);
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['events', 'outbox', 'inbox', 'jobs', 'aggregate_events', 'backup_targets', 'backups', 'restores', 'backup_schedules']));
    for (const { table_name } of tables) {
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM orchestrator."${table_name}" t WHERE t::text LIKE $1 OR t::text LIKE $2`, [`%${SECRET}%`, `%${POOL_TOKEN}%`]);
      expect({ table: table_name, rowsWithSecret: n }).toEqual({ table: table_name, rowsWithSecret: 0 });
    }
    expect(bodies.length).toBeGreaterThan(40);
    expect(bodies.filter((b) => b.includes(SECRET) || b.includes(POOL_TOKEN))).toEqual([]);
  });
});
