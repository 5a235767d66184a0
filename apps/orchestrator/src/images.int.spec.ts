import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { isUploadToken, templateBaseId, topics as topicNames, uploadToken, type Envelope, type Topics } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra, useInfraEnv } from '@strata/testing';
import { AppModule } from './app.module';
import { makeApiKey, useBootstrapAdminKey, withKey } from './auth/api-key-testing.spec';
import { deploymentCommandId } from './deployments/domain/deployment';
import { setUpOpenApi } from './http/openapi';

/**
 * Image stores, templates and the deploy-ROOT saga, with the orchestrator in-process against
 * the real PostgreSQL and Kafka. The test plays the image service and the storage service: it
 * reads the commands the orchestrator publishes and answers with their events.
 */
describe('orchestrator: images and template deployments on real Kafka and PostgreSQL', () => {
  const GiB = 2 ** 30;
  const IMAGE_SERVICE_URL = 'http://images.test:8084';
  let infra: TestInfra;
  let app: INestApplication;
  let bus: KafkaMessageBus;
  let topics: Topics;
  let observer: Subscription;
  const commands: { topic: string; key: string; envelope: Envelope }[] = [];
  // Admin requests; those with X-Tenant act for that tenant, as a cloud platform does.
  let adminKey: string;
  const http = () => withKey(app, adminKey);
  const until = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 30_000);

  const commandWhere = (what: string, match: (c: { topic: string; key: string; envelope: Envelope }) => boolean) =>
    until(what, async () => commands.find(match));
  const commandFor = (messageId: string) => commandWhere(`command ${messageId}`, (c) => c.envelope.messageId === messageId);

  async function startApp(): Promise<void> {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpOpenApi(app);
    await app.init();
  }

  /** Publishes an event as the image or storage service would: keyed by aggregate, caused by a command. */
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
  const emitImage = (type: string, aggregateId: string, version: number | null, causationId: string | null, data: object, tenant: string | null = null) =>
    emit(topics.imageEvents, type, aggregateId, version, causationId, data, tenant);
  const emitStorage = (type: string, aggregateId: string, version: number | null, causationId: string | null, data: object, tenant: string | null = null) =>
    emit(topics.storageEvents, type, aggregateId, version, causationId, data, tenant);

  const job = (jobId: string, match: (body: Record<string, unknown>) => boolean, what: string) =>
    until(`job ${jobId} ${what}`, async () => {
      const res = await http().get(`/jobs/${jobId}`);
      return res.status === 200 && match(res.body) ? res.body : undefined;
    });
  const jobStatus = (jobId: string, status: string) => job(jobId, (b) => b.status === status, status);

  let poolId: string;

  beforeAll(async () => {
    infra = await createTestInfra('images');
    useInfraEnv(infra);
    adminKey = useBootstrapAdminKey();
    process.env.STRATA_IMAGE_SERVICE_URL = `${IMAGE_SERVICE_URL}/`;
    topics = topicNames(infra.topicPrefix);
    await startApp();
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'orchestrator-images-int' });
    observer = await bus.subscribe({
      groupId: `${infra.topicPrefix}observer`,
      topics: [topics.imageCommands, topics.storageCommands],
      handle: async (m) => {
        commands.push({ topic: m.topic, key: m.key!.toString('utf8'), envelope: JSON.parse(m.value!.toString('utf8')) as Envelope });
      },
    });
    // A pool to deploy on, as the storage service would announce it.
    poolId = randomUUID();
    await emitStorage('StoragePoolAdded', poolId, 1, null, {
      poolId, name: 'fast-01', plugin: 'file', zoneId: 'zone-1', clusterId: null, tags: [], config: { path: '/srv/fast' }, capacityBytes: 100 * GiB, usedBytes: 0,
    });
    await until('the pool', async () => ((await http().get(`/pools/${poolId}`)).status === 200 ? true : undefined));
  });

  afterAll(async () => {
    delete process.env.STRATA_IMAGE_SERVICE_URL;
    await observer?.stop();
    await bus?.close();
    await app?.close();
    await infra?.dispose();
  });

  let storeId: string;

  it('POST /image-stores publishes AddImageStore on the image commands topic; ImageStoreAdded makes the store; operators only', async () => {
    const acmeKey = (await makeApiKey(app, adminKey, 'tenant', 'acme')).key;
    expect((await withKey(app, acmeKey).post('/image-stores').send({ name: 's', zoneId: 'zone-1', path: '/srv/images' }).expect(403)).body.code).toBe('auth.forbidden');
    const bad = (await http().post('/image-stores').send({ name: 's', zoneId: 'zone-1', path: 'relative' }).expect(400)).body;
    expect(bad.violations).toEqual([expect.objectContaining({ field: 'path', rule: 'matches' })]);

    const res = await http().post('/image-stores').set('X-Correlation-Id', 'corr-store').send({ name: 'secondary-1', zoneId: 'zone-1', path: '/srv/images' }).expect(202);
    expect(res.body).toEqual({ jobId: expect.any(String), imageStoreId: expect.any(String) });
    storeId = res.body.imageStoreId;
    const command = await commandFor(res.body.jobId);
    expect(command.topic).toBe(topics.imageCommands);
    expect(command.key).toBe(storeId);
    expect(command.envelope).toMatchObject({
      kind: 'command',
      type: 'AddImageStore',
      aggregateId: storeId,
      correlationId: 'corr-store',
      data: { name: 'secondary-1', zoneId: 'zone-1', path: '/srv/images' },
    });

    await emitImage('ImageStoreAdded', storeId, 1, res.body.jobId, { imageStoreId: storeId, name: 'secondary-1', zoneId: 'zone-1', path: '/srv/images', capacityBytes: 100 * GiB, freeBytes: 70 * GiB });
    expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ imageStoreId: storeId });
    expect((await http().get(`/image-stores/${storeId}`).expect(200)).body).toEqual({
      id: storeId,
      name: 'secondary-1',
      zoneId: 'zone-1',
      path: '/srv/images',
      capacityBytes: 100 * GiB,
      freeBytes: 70 * GiB,
      status: 'active',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const ids = (body: { items: { id: string }[] }) => body.items.map((s) => s.id);
    expect(ids((await http().get('/image-stores').query({ zoneId: 'zone-1' }).expect(200)).body)).toEqual([storeId]);
    expect(ids((await http().get('/image-stores').query({ zoneId: 'zone-9' }).expect(200)).body)).toEqual([]);
    expect((await http().get(`/image-stores/${storeId}/events`).expect(200)).body.items.map((e: Envelope) => e.type)).toEqual(['ImageStoreAdded']);
    expect((await http().get(`/image-stores/${randomUUID()}`).expect(404)).body.code).toBe('image_store.not_found');
  });

  it('DELETE /image-stores/:id publishes RemoveImageStore; a removed store is hidden and a second delete is 409', async () => {
    const other = randomUUID();
    await emitImage('ImageStoreAdded', other, 1, null, { imageStoreId: other, name: 'old', zoneId: 'zone-3', path: '/srv/old', capacityBytes: GiB, freeBytes: GiB });
    await until('the old store', async () => ((await http().get(`/image-stores/${other}`)).status === 200 ? true : undefined));
    const res = await http().delete(`/image-stores/${other}`).expect(202);
    expect((await commandFor(res.body.jobId)).envelope).toMatchObject({ type: 'RemoveImageStore', aggregateId: other, data: {} });
    await emitImage('ImageStoreRemoved', other, 2, res.body.jobId, { imageStoreId: other });
    await jobStatus(res.body.jobId, 'succeeded');
    expect((await http().get(`/image-stores/${other}`).expect(200)).body.status).toBe('removed');
    expect((await http().get('/image-stores').query({ zoneId: 'zone-3' }).expect(200)).body.items).toEqual([]);
    expect((await http().get('/image-stores').query({ status: 'removed' }).expect(200)).body.items.map((s: { id: string }) => s.id)).toEqual([other]);
    expect((await http().delete(`/image-stores/${other}`).expect(409)).body.code).toBe('image_store.already_removed');
  });

  let templateId: string;

  it('POST /templates publishes RegisterTemplate; progress and TemplateRegistered make a ready template and move its job', async () => {
    const res = await http()
      .post('/templates')
      .set('X-Tenant', 'acme')
      .send({ name: 'debian-12', kind: 'template', format: 'qcow2', zoneId: 'zone-1', url: 'https://images.example/debian-12.qcow2', osType: 'debian12' })
      .expect(202);
    expect(res.body).toEqual({ jobId: expect.any(String), templateId: expect.any(String) });
    templateId = res.body.templateId;
    const command = await commandFor(res.body.jobId);
    expect([command.topic, command.key]).toEqual([topics.imageCommands, templateId]);
    expect(command.envelope).toMatchObject({ type: 'RegisterTemplate', aggregateId: templateId, tenant: 'acme', data: { name: 'debian-12', url: 'https://images.example/debian-12.qcow2' } });

    await emitImage('TemplateRegistrationRequested', templateId, 1, res.body.jobId, {
      templateId, name: 'debian-12', kind: 'template', format: 'qcow2', zoneId: 'zone-1', imageStoreId: storeId,
      source: { kind: 'url', url: 'https://images.example/debian-12.qcow2' }, checksum: null, osType: 'debian12', description: null, public: false,
    }, 'acme');
    await emitImage('TemplateTransferProgressed', templateId, 2, res.body.jobId, { templateId, imageStoreId: storeId, bytesDone: GiB, bytesTotal: 2 * GiB, percent: 50 }, 'acme');
    await job(res.body.jobId, (b) => b.status === 'running' && b.progress === 50, 'running at 50 %');
    expect((await http().get(`/templates/${templateId}`).set('X-Tenant', 'acme').expect(200)).body).toMatchObject({ status: 'registering', transferPercent: 50 });

    await emitImage('TemplateRegistered', templateId, 3, res.body.jobId, {
      templateId, imageStoreId: storeId, zoneId: 'zone-1', file: `templates/${templateId}.qcow2`, format: 'qcow2', virtualSizeBytes: 10 * GiB, physicalSizeBytes: 2 * GiB, sha256: 'ab'.repeat(32),
    }, 'acme');
    expect(await jobStatus(res.body.jobId, 'succeeded')).toMatchObject({ progress: 100, result: { templateId, virtualSizeBytes: 10 * GiB } });
    expect((await http().get(`/templates/${templateId}`).set('X-Tenant', 'acme').expect(200)).body).toEqual({
      id: templateId,
      name: 'debian-12',
      kind: 'template',
      declaredFormat: 'qcow2',
      detectedFormat: 'qcow2',
      status: 'ready',
      copies: [{ imageStoreId: storeId, zoneId: 'zone-1', status: 'ready', file: `templates/${templateId}.qcow2`, error: null }],
      virtualSizeBytes: 10 * GiB,
      physicalSizeBytes: 2 * GiB,
      sha256: 'ab'.repeat(32),
      checksumDeclared: null,
      transferPercent: 100,
      osType: 'debian12',
      description: null,
      public: false,
      error: null,
      source: { kind: 'url', url: 'https://images.example/debian-12.qcow2' },
      tenant: 'acme',
      bases: [],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await http().get(`/templates/${templateId}/events`).set('X-Tenant', 'acme').expect(200)).body.items.map((e: Envelope) => e.type)).toEqual([
      'TemplateRegistrationRequested',
      'TemplateTransferProgressed',
      'TemplateRegistered',
    ]);
  });

  it('GET /templates filters by zone, kind, status and name; a tenant sees its own and the public ones', async () => {
    const iso = randomUUID();
    await emitImage('TemplateRegistrationRequested', iso, 1, null, {
      templateId: iso, name: 'alpine-iso', kind: 'iso', format: 'iso', zoneId: 'zone-2', imageStoreId: randomUUID(),
      source: { kind: 'url', url: 'https://x.example/alpine.iso' }, checksum: null, osType: null, description: null, public: true,
    }, 'globex');
    await until('the ISO', async () => ((await http().get(`/templates/${iso}`)).status === 200 ? true : undefined));
    const ids = async (query: Record<string, string>, tenant?: string) => {
      const req = http().get('/templates').query(query);
      if (tenant) req.set('X-Tenant', tenant);
      return (await req.expect(200)).body.items.map((t: { id: string }) => t.id);
    };
    expect(await ids({})).toEqual([templateId, iso]);
    expect(await ids({ zoneId: 'zone-1' })).toEqual([templateId]);
    expect(await ids({ kind: 'iso' })).toEqual([iso]);
    expect(await ids({ status: 'ready' })).toEqual([templateId]);
    expect(await ids({ name: 'debian-12' })).toEqual([templateId]);
    expect(await ids({}, 'globex')).toEqual([iso]);
    expect(await ids({}, 'acme')).toEqual([templateId, iso]);
    expect((await http().get(`/templates/${templateId}`).set('X-Tenant', 'globex').expect(404)).body.code).toBe('template.not_found');
    expect((await http().get('/templates').query({ kind: 'disk' }).expect(400)).body.code).toBe('request.invalid');
    // The ISO is public: acme sees it, but only globex changes it.
    await http().get(`/templates/${iso}`).set('X-Tenant', 'acme').expect(200);
    expect((await http().patch(`/templates/${iso}`).set('X-Tenant', 'acme').send({ name: 'mine' }).expect(404)).body.code).toBe('template.not_found');
    // An ISO is not deployed as a ROOT volume.
    const refused = (await http().post(`/templates/${iso}/volumes`).send({ name: 'r', poolId }).expect(409)).body;
    expect(refused).toMatchObject({ code: 'template.not_deployable', violations: [expect.objectContaining({ field: 'kind' })] });
  });

  it('PATCH, POST /copies and DELETE publish UpdateTemplate, CopyTemplate and DeleteTemplate', async () => {
    const patched = await http().patch(`/templates/${templateId}`).set('X-Tenant', 'acme').send({ description: 'Debian 12', public: true }).expect(202);
    expect((await commandFor(patched.body.jobId)).envelope).toMatchObject({ type: 'UpdateTemplate', aggregateId: templateId, data: { description: 'Debian 12', public: true } });
    expect((await http().patch(`/templates/${templateId}`).set('X-Tenant', 'acme').send({ colour: 'red' }).expect(400)).body.violations).toEqual([
      expect.objectContaining({ field: 'colour', rule: 'whitelistValidation' }),
    ]);
    await emitImage('TemplateUpdated', templateId, 4, patched.body.jobId, { templateId, changes: { description: 'Debian 12', public: true } }, 'acme');
    await jobStatus(patched.body.jobId, 'succeeded');
    expect((await http().get(`/templates/${templateId}`).set('X-Tenant', 'globex').expect(200)).body).toMatchObject({ description: 'Debian 12', public: true });

    const copy = await http().post(`/templates/${templateId}/copies`).set('X-Tenant', 'acme').send({ zoneId: 'zone-2' }).expect(202);
    const copyCommand = await commandFor(copy.body.jobId);
    expect([copyCommand.topic, copyCommand.envelope.type, copyCommand.envelope.aggregateId, copyCommand.envelope.data]).toEqual([topics.imageCommands, 'CopyTemplate', templateId, { zoneId: 'zone-2' }]);
    const store2 = randomUUID();
    await emitImage('TemplateCopyRequested', templateId, 5, copy.body.jobId, { templateId, fromImageStoreId: storeId, toImageStoreId: store2, zoneId: 'zone-2' }, 'acme');
    await emitImage('TemplateCopied', templateId, 6, copy.body.jobId, { templateId, imageStoreId: store2, zoneId: 'zone-2', file: 'f.qcow2' }, 'acme');
    await jobStatus(copy.body.jobId, 'succeeded');
    const copies = (await http().get(`/templates/${templateId}`).expect(200)).body.copies;
    expect(copies.map((c: { zoneId: string; status: string }) => [c.zoneId, c.status])).toEqual([
      ['zone-1', 'ready'],
      ['zone-2', 'ready'],
    ]);
    expect((await http().get('/templates').query({ zoneId: 'zone-2', kind: 'template' }).expect(200)).body.items.map((t: { id: string }) => t.id)).toEqual([templateId]);

    const doomed = randomUUID();
    await emitImage('TemplateRegistrationRequested', doomed, 1, null, {
      templateId: doomed, name: 'doomed', kind: 'template', format: 'raw', zoneId: 'zone-1', imageStoreId: storeId,
      source: { kind: 'upload' }, checksum: null, osType: null, description: null, public: false,
    });
    await until('the doomed template', async () => ((await http().get(`/templates/${doomed}`)).status === 200 ? true : undefined));
    expect((await http().post(`/templates/${doomed}/copies`).send({ zoneId: 'zone-2' }).expect(409)).body.code).toBe('template.not_ready');
    const del = await http().delete(`/templates/${doomed}`).expect(202);
    expect((await commandFor(del.body.jobId)).envelope).toMatchObject({ type: 'DeleteTemplate', aggregateId: doomed, data: {} });
    await emitImage('TemplateDeletionRequested', doomed, 2, del.body.jobId, { templateId: doomed });
    await emitImage('TemplateDeleted', doomed, 3, del.body.jobId, { templateId: doomed });
    await jobStatus(del.body.jobId, 'succeeded');
    expect((await http().delete(`/templates/${doomed}`).expect(409)).body.code).toBe('template.already_deleted');
    expect((await http().get('/templates').query({ status: 'deleted' }).expect(200)).body.items.map((t: { id: string }) => t.id)).toEqual([doomed]);
  });

  it('POST /templates with upload answers the upload URL with a token for that template only, and the token goes nowhere else', async () => {
    const res = await http().post('/templates').set('X-Tenant', 'acme').send({ name: 'uploaded', kind: 'template', format: 'raw', zoneId: 'zone-1', upload: true }).expect(202);
    const { templateId: id, uploadUrl } = res.body;
    const token = uploadToken(infra.secretKey, id);
    expect(uploadUrl).toBe(`${IMAGE_SERVICE_URL}/uploads/${id}?token=${token}`);
    expect(isUploadToken(infra.secretKey, id, new URL(uploadUrl).searchParams.get('token')!)).toBe(true);
    expect(isUploadToken(infra.secretKey, randomUUID(), new URL(uploadUrl).searchParams.get('token')!)).toBe(false);
    const command = await commandFor(res.body.jobId);
    expect(command.envelope).toMatchObject({ type: 'RegisterTemplate', aggregateId: id, data: { upload: true } });
    expect(JSON.stringify(command.envelope)).not.toContain(token);
    const db = app.get(DataSource);
    const [{ n }] = await db.query(
      `SELECT (SELECT count(*) FROM orchestrator.outbox WHERE payload::text LIKE $1) + (SELECT count(*) FROM orchestrator.events WHERE data::text LIKE $1 OR metadata::text LIKE $1) AS n`,
      [`%${token}%`],
    );
    expect(Number(n)).toBe(0);
    // Either url or upload.
    const both = (await http().post('/templates').send({ name: 'x', kind: 'template', format: 'raw', zoneId: 'zone-1', upload: true, url: 'https://x.example/a' }).expect(400)).body;
    expect(both.violations).toEqual([expect.objectContaining({ field: 'url', rule: 'urlOrUpload' })]);
  });

  it('POST /volumes/:id/templates and POST /snapshots/:id/templates publish CreateTemplateFromVolume; the source shows on the template', async () => {
    const emitSnapshot = (type: string, aggregateId: string, version: number, causationId: string | null, data: object) =>
      emit(topics.snapshotEvents, type, aggregateId, version, causationId, data, 'acme');
    const volumeId = randomUUID();
    await emitStorage('VolumeCreationRequested', volumeId, 1, null, { volumeId, name: 'web-root', poolId, sizeBytes: 10 * GiB, volumeType: 'ROOT', backendName: `vol-${volumeId}` }, 'acme');
    await emitStorage('VolumeCreated', volumeId, 2, null, { volumeId, poolId, backendName: `vol-${volumeId}`, sizeBytes: 10 * GiB, path: null }, 'acme');
    await until('the volume', async () => ((await http().get(`/volumes/${volumeId}`).set('X-Tenant', 'acme')).status === 200 ? true : undefined));

    const fromVolume = await http().post(`/volumes/${volumeId}/templates`).set('X-Tenant', 'acme').send({ name: 'golden-web', zoneId: 'zone-1', osType: 'debian12' }).expect(202);
    expect(fromVolume.body).toEqual({ jobId: expect.any(String), templateId: expect.any(String) });
    const command = await commandFor(fromVolume.body.jobId);
    expect([command.topic, command.key]).toEqual([topics.imageCommands, fromVolume.body.templateId]);
    expect(command.envelope).toMatchObject({
      type: 'CreateTemplateFromVolume',
      aggregateId: fromVolume.body.templateId,
      tenant: 'acme',
      data: { name: 'golden-web', zoneId: 'zone-1', osType: 'debian12', volumeId },
    });
    expect(command.envelope.data).not.toHaveProperty('snapshotId');

    const snapshotId = randomUUID();
    await emitSnapshot('SnapshotRequested', snapshotId, 1, null, { snapshotId, volumeId, name: 'nightly', poolId, volumeBackendName: `vol-${volumeId}`, backendName: `snap-${snapshotId}`, policyId: null, dueAt: null });
    await emitSnapshot('SnapshotCreated', snapshotId, 2, null, { snapshotId, volumeId, sizeBytes: 10 * GiB });
    await until('the snapshot ready', async () => ((await http().get(`/snapshots/${snapshotId}`).set('X-Tenant', 'acme')).body?.status === 'ready' ? true : undefined));
    const fromSnapshot = await http().post(`/snapshots/${snapshotId}/templates`).set('X-Tenant', 'acme').send({ name: 'golden-nightly', zoneId: 'zone-1' }).expect(202);
    const snapshotCommand = await commandFor(fromSnapshot.body.jobId);
    expect(snapshotCommand.envelope).toMatchObject({
      type: 'CreateTemplateFromVolume',
      aggregateId: fromSnapshot.body.templateId,
      tenant: 'acme',
      data: { name: 'golden-nightly', zoneId: 'zone-1', volumeId, snapshotId },
    });

    // The path names the source; unknown ones (or another tenant's) are 404; the body's rules are the image service's.
    expect((await http().post(`/volumes/${volumeId}/templates`).set('X-Tenant', 'acme').send({ name: 'x', zoneId: 'zone-1', volumeId }).expect(400)).body.violations).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'volumeId' })]),
    );
    await http().post(`/volumes/${volumeId}/templates`).set('X-Tenant', 'other').send({ name: 'x', zoneId: 'zone-1' }).expect(404);
    await http().post(`/snapshots/${randomUUID()}/templates`).send({ name: 'x', zoneId: 'zone-1' }).expect(404);
    await http().post(`/volumes/${volumeId}/templates`).set('X-Tenant', 'acme').send({ name: '-bad' }).expect(400);

    // The image service's answer: the source and the job move as for any registration.
    const templateId = fromSnapshot.body.templateId as string;
    await emitImage('TemplateRegistrationRequested', templateId, 1, fromSnapshot.body.jobId, {
      templateId, name: 'golden-nightly', kind: 'template', format: 'qcow2', zoneId: 'zone-1', imageStoreId: storeId,
      source: { kind: 'volume', volumeId, snapshotId }, checksum: null, osType: null, description: null, public: false,
    }, 'acme');
    await emitImage('TemplateExportStepRequested', templateId, 2, fromSnapshot.body.jobId, { templateId, step: 'clone', commandId: randomUUID(), aggregateId: randomUUID() }, 'acme');
    await jobStatus(fromSnapshot.body.jobId, 'running');
    await emitImage('TemplateRegistered', templateId, 3, fromSnapshot.body.jobId, {
      templateId, imageStoreId: storeId, zoneId: 'zone-1', file: `templates/${templateId}.qcow2`, format: 'qcow2', virtualSizeBytes: 10 * GiB, physicalSizeBytes: GiB, sha256: 'cd'.repeat(32),
    }, 'acme');
    expect(await jobStatus(fromSnapshot.body.jobId, 'succeeded')).toMatchObject({ commandType: 'CreateTemplateFromVolume', result: { templateId } });
    expect((await http().get(`/templates/${templateId}`).set('X-Tenant', 'acme').expect(200)).body).toMatchObject({ status: 'ready', source: { kind: 'snapshot', volumeId, snapshotId } });
    expect((await http().get(`/templates/${templateId}/events`).set('X-Tenant', 'acme').expect(200)).body.items.map((e: Envelope) => e.type)).toEqual([
      'TemplateRegistrationRequested',
      'TemplateExportStepRequested',
      'TemplateRegistered',
    ]);
  });

  it('documents the image endpoints in its OpenAPI document', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body;
    for (const [path, method, status] of [
      ['/image-stores', 'post', '202'], ['/image-stores', 'get', '200'], ['/image-stores/{id}', 'get', '200'], ['/image-stores/{id}', 'delete', '202'], ['/image-stores/{id}/events', 'get', '200'],
      ['/templates', 'post', '202'], ['/templates', 'get', '200'], ['/templates/{id}', 'get', '200'], ['/templates/{id}', 'patch', '202'], ['/templates/{id}', 'delete', '202'],
      ['/templates/{id}/events', 'get', '200'], ['/templates/{id}/copies', 'post', '202'], ['/templates/{id}/volumes', 'post', '202'],
    ]) {
      expect([path, method, doc.paths[path]?.[method]?.responses?.[status]]).toEqual([path, method, expect.anything()]);
    }
    expect(doc.paths['/templates/{id}/volumes'].post.responses['409']).toBeDefined();
    expect(Object.keys(doc.components.schemas.TemplateAccepted.properties)).toEqual(['jobId', 'templateId', 'uploadUrl']);
    expect(Object.keys(doc.components.schemas.TemplateDetailView.properties)).toEqual(expect.arrayContaining(['copies', 'bases', 'virtualSizeBytes', 'transferPercent']));
    expect(Object.keys(doc.components.schemas.JobView.properties)).toContain('progress');
  });

  describe('POST /templates/:id/volumes', () => {
    it('answers 404 for an unknown template or pool, 409 for one not ready, 400 naming sizeBytes below the virtual size', async () => {
      expect((await http().post(`/templates/${randomUUID()}/volumes`).send({ name: 'r', poolId }).expect(404)).body.code).toBe('template.not_found');
      expect((await http().post(`/templates/${templateId}/volumes`).send({ name: 'r', poolId: randomUUID() }).expect(404)).body.code).toBe('pool.not_found');
      const small = (await http().post(`/templates/${templateId}/volumes`).send({ name: 'r', poolId, sizeBytes: GiB }).expect(400)).body;
      expect(small).toMatchObject({ code: 'request.invalid', violations: [{ field: 'sizeBytes', rule: 'notBelowVirtualSize', message: `sizeBytes must not be less than the template's virtual size (${10 * GiB})` }] });
      const bad = (await http().post(`/templates/${templateId}/volumes`).send({ name: '-x', poolId, fromSnapshot: {} }).expect(400)).body;
      expect(bad.violations.map((v: { field: string }) => v.field).sort()).toEqual(['fromSnapshot', 'name']);
      const registering = randomUUID();
      await emitImage('TemplateRegistrationRequested', registering, 1, null, {
        templateId: registering, name: 'slow', kind: 'template', format: 'qcow2', zoneId: 'zone-1', imageStoreId: storeId,
        source: { kind: 'upload' }, checksum: null, osType: null, description: null, public: false,
      });
      await until('the slow template', async () => ((await http().get(`/templates/${registering}`)).status === 200 ? true : undefined));
      expect((await http().post(`/templates/${registering}/volumes`).send({ name: 'r', poolId }).expect(409)).body).toMatchObject({
        code: 'template.not_ready',
        violations: [expect.objectContaining({ field: 'status' })],
      });
    });

    it('spools the base, clones its snapshot into the ROOT volume, and succeeds the job with progress', async () => {
      const res = await http().post(`/templates/${templateId}/volumes`).set('X-Tenant', 'acme').set('X-Correlation-Id', 'corr-deploy').send({ name: 'vm-1-root', poolId, sizeBytes: 20 * GiB, hypervisor: 'kvm' }).expect(202);
      const { jobId, volumeId } = res.body;
      expect(res.body).toEqual({ jobId: expect.any(String), volumeId: expect.any(String) });
      expect(await job(jobId, (b) => b.status === 'running' && b.progress === 10, 'running at 10 %')).toMatchObject({ commandType: 'DeployTemplateVolume', aggregateId: volumeId, tenant: 'acme' });

      const baseId = templateBaseId(templateId, poolId);
      const spool = await commandWhere('SpoolTemplate', (c) => c.envelope.type === 'SpoolTemplate' && c.envelope.messageId === deploymentCommandId(volumeId, 'spool'));
      expect([spool.topic, spool.key]).toEqual([topics.imageCommands, baseId]);
      expect(spool.envelope).toMatchObject({ aggregateId: baseId, tenant: 'acme', correlationId: 'corr-deploy', data: { templateId, poolId } });

      const baseVolume = randomUUID();
      const baseSnapshot = randomUUID();
      const base = { baseId, templateId, poolId };
      await emitImage('TemplateSpoolRequested', baseId, 1, spool.envelope.messageId, { ...base, volumeId: baseVolume, snapshotId: baseSnapshot, sizeBytes: 10 * GiB, attempt: 1 });
      await emitImage('TemplateSpooled', baseId, 2, spool.envelope.messageId, { ...base, volumeId: baseVolume, snapshotId: baseSnapshot, sizeBytes: 10 * GiB });

      const create = await commandWhere('CreateVolume', (c) => c.envelope.type === 'CreateVolume' && c.envelope.aggregateId === volumeId);
      expect([create.topic, create.key, create.envelope.messageId]).toEqual([topics.storageCommands, volumeId, deploymentCommandId(volumeId, 'create')]);
      expect(create.envelope).toMatchObject({
        tenant: 'acme',
        correlationId: 'corr-deploy',
        data: { name: 'vm-1-root', sizeBytes: 20 * GiB, volumeType: 'ROOT', poolId, fromSnapshot: { snapshotId: baseSnapshot, volumeId: baseVolume }, hypervisor: 'kvm' },
      });
      await job(jobId, (b) => b.status === 'running' && b.progress === 50, 'running at 50 %');

      const backendName = `vol-${volumeId}`;
      await emitStorage('VolumeCreationRequested', volumeId, 1, create.envelope.messageId, { volumeId, name: 'vm-1-root', poolId, sizeBytes: 20 * GiB, volumeType: 'ROOT', backendName, source: { snapshotId: baseSnapshot, volumeId: baseVolume } }, 'acme');
      const created = await emitStorage('VolumeCreated', volumeId, 2, create.envelope.messageId, { volumeId, poolId, backendName, sizeBytes: 20 * GiB, path: `/srv/fast/${backendName}` }, 'acme');
      expect(await jobStatus(jobId, 'succeeded')).toMatchObject({ progress: 100, result: { volumeId, templateId, poolId, sizeBytes: 20 * GiB } });
      // A redelivered outcome changes nothing.
      await bus.publish([{ topic: topics.storageEvents, key: volumeId, value: JSON.stringify(created) }]);
      expect((await http().get(`/volumes/${volumeId}`).set('X-Tenant', 'acme').expect(200)).body).toMatchObject({ status: 'ready', sizeBytes: 20 * GiB });
      expect((await http().get(`/templates/${templateId}`).expect(200)).body.bases).toEqual([
        expect.objectContaining({ id: baseId, poolId, volumeId: baseVolume, snapshotId: baseSnapshot, status: 'ready', attempt: 1 }),
      ]);
      const saga = await app.get(DataSource).query(`SELECT type FROM orchestrator.events WHERE stream_id = $1 ORDER BY stream_version`, [`deploy-${volumeId}`]);
      expect(saga.map((e: { type: string }) => e.type)).toEqual(['DeploymentStarted', 'DeploymentBaseReady', 'DeploymentVolumeCreated']);
    });

    it("a base already being spooled by someone else: joined, then that spool's TemplateSpooled goes on", async () => {
      const res = await http().post(`/templates/${templateId}/volumes`).send({ name: 'vm-2-root', poolId }).expect(202);
      const { jobId, volumeId } = res.body;
      const spool = await commandWhere('SpoolTemplate', (c) => c.envelope.messageId === deploymentCommandId(volumeId, 'spool'));
      const baseId = templateBaseId(templateId, poolId);
      await emitImage('TemplateSpoolJoined', baseId, 3, spool.envelope.messageId, { baseId, templateId, poolId });
      const baseVolume = randomUUID();
      const baseSnapshot = randomUUID();
      // The spool it joined ends: caused by the other command.
      await emitImage('TemplateSpooled', baseId, 4, randomUUID(), { baseId, templateId, poolId, volumeId: baseVolume, snapshotId: baseSnapshot, sizeBytes: 10 * GiB });
      const create = await commandWhere('CreateVolume', (c) => c.envelope.type === 'CreateVolume' && c.envelope.aggregateId === volumeId);
      // Its size defaults to the template's virtual size.
      expect(create.envelope.data).toMatchObject({ sizeBytes: 10 * GiB, fromSnapshot: { snapshotId: baseSnapshot, volumeId: baseVolume } });
      await emitStorage('VolumeCreated', volumeId, 2, create.envelope.messageId, { volumeId, poolId, sizeBytes: 10 * GiB });
      await jobStatus(jobId, 'succeeded');
    });

    it('a volume recorded but not made is deleted (DeleteVolume), then the job fails with the creation error', async () => {
      const res = await http().post(`/templates/${templateId}/volumes`).send({ name: 'vm-3-root', poolId }).expect(202);
      const { jobId, volumeId } = res.body;
      const spool = await commandWhere('SpoolTemplate', (c) => c.envelope.messageId === deploymentCommandId(volumeId, 'spool'));
      const baseId = templateBaseId(templateId, poolId);
      await emitImage('TemplateSpooled', baseId, 5, spool.envelope.messageId, { baseId, templateId, poolId, volumeId: randomUUID(), snapshotId: randomUUID(), sizeBytes: 10 * GiB });
      const create = await commandWhere('CreateVolume', (c) => c.envelope.type === 'CreateVolume' && c.envelope.aggregateId === volumeId);
      const backendName = `vol-${volumeId}`;
      await emitStorage('VolumeCreationRequested', volumeId, 1, create.envelope.messageId, { volumeId, name: 'vm-3-root', poolId, sizeBytes: 10 * GiB, volumeType: 'ROOT', backendName });
      const error = { code: 'backend.clone_failed', category: 'terminal', message: 'clone failed' };
      await emitStorage('VolumeCreationFailed', volumeId, 2, create.envelope.messageId, { volumeId, poolId, error });

      const del = await commandWhere('DeleteVolume', (c) => c.envelope.type === 'DeleteVolume' && c.envelope.aggregateId === volumeId);
      expect([del.topic, del.key, del.envelope.messageId, del.envelope.data]).toEqual([topics.storageCommands, volumeId, deploymentCommandId(volumeId, 'compensate'), {}]);
      // Not failed until the compensation is done.
      expect((await http().get(`/jobs/${jobId}`).expect(200)).body.status).toBe('running');
      await emitStorage('VolumeDeletionRequested', volumeId, 3, del.envelope.messageId, { volumeId, poolId, backendName });
      await emitStorage('VolumeDeleted', volumeId, 4, del.envelope.messageId, { volumeId, poolId });
      const failed = await jobStatus(jobId, 'failed');
      expect(failed.error).toEqual({ ...error, violations: [], details: { volumeId, templateId, poolId, step: 'create' } });
      expect((await http().get(`/volumes/${volumeId}`).expect(200)).body.status).toBe('deleted');
    });

    it('a failed spool fails the job with nothing to undo', async () => {
      const res = await http().post(`/templates/${templateId}/volumes`).send({ name: 'vm-4-root', poolId }).expect(202);
      const { jobId, volumeId } = res.body;
      const spool = await commandWhere('SpoolTemplate', (c) => c.envelope.messageId === deploymentCommandId(volumeId, 'spool'));
      const baseId = templateBaseId(templateId, poolId);
      const error = { code: 'image.unreadable', category: 'terminal', message: 'cannot read' };
      await emitImage('TemplateSpoolFailed', baseId, 6, spool.envelope.messageId, { baseId, templateId, poolId, error });
      expect((await jobStatus(jobId, 'failed')).error).toMatchObject({ code: 'image.unreadable', details: { step: 'spool' } });
      expect(commands.some((c) => c.envelope.aggregateId === volumeId && c.topic === topics.storageCommands)).toBe(false);
    });

    it('resumes after a restart of the orchestrator mid-saga', async () => {
      const res = await http().post(`/templates/${templateId}/volumes`).send({ name: 'vm-5-root', poolId }).expect(202);
      const { jobId, volumeId } = res.body;
      const spool = await commandWhere('SpoolTemplate', (c) => c.envelope.messageId === deploymentCommandId(volumeId, 'spool'));
      await app.close();

      // The base becomes ready while the orchestrator is down.
      const baseId = templateBaseId(templateId, poolId);
      const baseSnapshot = randomUUID();
      await emitImage('TemplateSpooled', baseId, 7, spool.envelope.messageId, { baseId, templateId, poolId, volumeId: randomUUID(), snapshotId: baseSnapshot, sizeBytes: 10 * GiB });
      await startApp();

      const create = await commandWhere('CreateVolume after the restart', (c) => c.envelope.type === 'CreateVolume' && c.envelope.aggregateId === volumeId);
      expect(create.envelope.data).toMatchObject({ fromSnapshot: { snapshotId: baseSnapshot } });
      await emitStorage('VolumeCreated', volumeId, 2, create.envelope.messageId, { volumeId, poolId, sizeBytes: 10 * GiB });
      await jobStatus(jobId, 'succeeded');
      // Exactly one CreateVolume was sent.
      expect(commands.filter((c) => c.envelope.type === 'CreateVolume' && c.envelope.aggregateId === volumeId)).toHaveLength(1);
    });
  });
});
