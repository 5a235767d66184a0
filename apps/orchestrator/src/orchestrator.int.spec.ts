import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { DeadLetterHeaders, KafkaMessageBus, type IncomingMessage, type Subscription } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra, useInfraEnv } from '@strata/testing';
import { AppModule } from './app.module';
import { makeApiKey, useBootstrapAdminKey, withKey } from './auth/api-key-testing.spec';
import { setUpOpenApi } from './http/openapi';

/**
 * The orchestrator in-process against the real PostgreSQL and Kafka. The test plays the
 * storage service: it reads the commands the API publishes and answers with events.
 */
describe('orchestrator on real Kafka and PostgreSQL', () => {
  const GiB = 2 ** 30;
  let infra: TestInfra;
  let app: INestApplication;
  let bus: KafkaMessageBus;
  let topics: Topics;
  let observer: Subscription;
  const commands: Envelope[] = [];
  const commandKeys = new Map<string, string>();
  const commandTopics = new Map<string, string>();
  const deadLetters: IncomingMessage[] = [];
  // Admin requests; those with X-Tenant act for that tenant, as a cloud platform does.
  let adminKey: string;
  let acmeKey: string;
  const http = () => withKey(app, adminKey);
  /** The key of tenant acme itself. */
  const acmeBearer = () => `Bearer ${acmeKey}`;

  const commandFor = (jobId: string) =>
    eventually(`command ${jobId} on the command topic`, async () => commands.find((c) => c.messageId === jobId));

  /** Publishes an event as the storage service would: keyed by aggregate, caused by a command. */
  function emit(type: string, aggregateId: string, streamVersion: number | null, causationId: string | null, data: object, tenant: string | null = null) {
    return emitOn(topics.storageEvents, type, aggregateId, streamVersion, causationId, data, tenant);
  }

  /** As emit, on the snapshot events topic, as the snapshot service would. */
  function emitSnapshotEvent(type: string, aggregateId: string, streamVersion: number | null, causationId: string | null, data: object, tenant: string | null = null) {
    return emitOn(topics.snapshotEvents, type, aggregateId, streamVersion, causationId, data, tenant);
  }

  async function emitOn(topic: string, type: string, aggregateId: string, streamVersion: number | null, causationId: string | null, data: object, tenant: string | null) {
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

  const until = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 30_000);
  const jobStatus = (jobId: string, status: string) =>
    until(`job ${jobId} ${status}`, async () => {
      const res = await http().get(`/jobs/${jobId}`);
      return res.status === 200 && res.body.status === status ? res.body : undefined;
    });

  beforeAll(async () => {
    infra = await createTestInfra('orchestrator');
    useInfraEnv(infra);
    adminKey = useBootstrapAdminKey();
    topics = topicNames(infra.topicPrefix);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpOpenApi(app);
    await app.init();
    acmeKey = (await makeApiKey(app, adminKey, 'tenant', 'acme')).key;
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'orchestrator-int' });
    observer = await bus.subscribe({
      groupId: `${infra.topicPrefix}observer`,
      topics: [topics.storageCommands, topics.snapshotCommands, topics.deadLetter],
      handle: async (m) => {
        if (m.topic === topics.deadLetter) return void deadLetters.push(m);
        const command = JSON.parse(m.value!.toString('utf8')) as Envelope;
        commands.push(command);
        commandKeys.set(command.messageId, m.key!.toString('utf8'));
        commandTopics.set(command.messageId, m.topic);
      },
    });
  });

  afterAll(async () => {
    await observer?.stop();
    await bus?.close();
    await app?.close();
    await infra?.dispose();
  });

  let poolId: string;
  let volumeId: string;

  it('POST /pools answers 202 and publishes AddStoragePool through the outbox', async () => {
    const res = await http()
      .post('/pools')
      .set('X-Correlation-Id', 'corr-pool-1')
      .send({ name: 'fast-01', plugin: 'file', zoneId: 'zone-1', tags: ['ssd'], config: { path: '/srv/fast' } })
      .expect(202);
    poolId = res.body.poolId;
    expect(res.body).toEqual({ jobId: expect.any(String), poolId: expect.any(String) });
    expect((await http().get(`/jobs/${res.body.jobId}`).expect(200)).body).toMatchObject({ status: 'accepted', commandType: 'AddStoragePool', aggregateId: poolId });

    const command = await commandFor(res.body.jobId);
    expect(command).toEqual({
      messageId: res.body.jobId,
      kind: 'command',
      type: 'AddStoragePool',
      schemaVersion: 1,
      aggregateId: poolId,
      streamVersion: null,
      occurredAt: expect.any(String),
      correlationId: 'corr-pool-1',
      causationId: null,
      tenant: null,
      data: { name: 'fast-01', plugin: 'file', zoneId: 'zone-1', tags: ['ssd'], config: { path: '/srv/fast' } },
    });
    expect(commandKeys.get(res.body.jobId)).toBe(poolId);

    await emit('StoragePoolAdded', poolId, 1, res.body.jobId, {
      poolId, name: 'fast-01', plugin: 'file', zoneId: 'zone-1', clusterId: null, tags: ['ssd'],
      config: { path: '/srv/fast' }, capacityBytes: 100 * GiB, usedBytes: 2 * GiB,
    });
    const job = await jobStatus(res.body.jobId, 'succeeded');
    expect(job.result).toEqual({ poolId });
    const pool = (await http().get(`/pools/${poolId}`).expect(200)).body;
    expect(pool).toMatchObject({ id: poolId, name: 'fast-01', status: 'enabled', capacityBytes: 100 * GiB, usedBytes: 2 * GiB, allocatedBytes: 0, volumeCount: 0 });
    expect((await http().get('/pools').expect(200)).body.items.map((p: { id: string }) => p.id)).toContain(poolId);
  });

  it('refuses pool creation by a tenant', async () => {
    const res = await withKey(app, acmeKey).post('/pools').send({ name: 'x', plugin: 'file', zoneId: 'z', config: { path: '/x' } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('auth.forbidden');
  });

  it("POST /pools refuses config the plugin refuses, before anything is queued, quoting no secret", async () => {
    const db = app.get(DataSource);
    const [{ n: before }] = await db.query(`SELECT count(*)::int AS n FROM orchestrator.outbox`);
    const res = await http()
      .post('/pools')
      .send({ name: 'sp-1', plugin: 'storpool', zoneId: 'zone-1', url: 'SP_API_HTTP=sp.example:99999;SP_AUTH_TOKEN=Tk-int-9f3k2;SP_TEMPLATE=hdd' })
      .expect(400);
    expect(res.body).toEqual({
      statusCode: 400,
      code: 'request.invalid',
      message: 'invalid url.port: url.port must not be greater than 65535',
      violations: [{ field: 'url.port', rule: 'max', message: 'url.port must not be greater than 65535' }],
    });
    expect(JSON.stringify(res.body)).not.toContain('Tk-int-9f3k2');
    const [{ n: after }] = await db.query(`SELECT count(*)::int AS n FROM orchestrator.outbox`);
    expect(after).toBe(before);
  });

  it('GET /plugins describes the registered backends; an unknown one is 404', async () => {
    const list = (await http().get('/plugins').expect(200)).body;
    expect(list.items.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['file', 'powerflex', 'linstor', 'storpool']));
    const storpool = (await http().get('/plugins/storpool').expect(200)).body;
    expect(storpool).toMatchObject({ name: 'storpool', vendor: 'StorPool', acceptsUrl: true });
    expect(storpool.configParameters).toContainEqual(expect.objectContaining({ name: 'authToken', required: true, secret: true }));
    expect((await http().get('/plugins/nfs').expect(404)).body).toEqual({ statusCode: 404, code: 'plugin.not_found', message: 'plugin nfs does not exist' });
  });

  it('POST /volumes validates with the storage rules and writes nothing when invalid', async () => {
    const db = app.get(DataSource);
    const [{ n: before }] = await db.query(`SELECT count(*)::int AS n FROM orchestrator.outbox`);
    const res = await http().post('/volumes').send({ name: 'data-1', poolId, sizeBytes: -1, colour: 'red' }).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'request.invalid' });
    expect(res.body.violations).toEqual(
      expect.arrayContaining([
        { field: 'sizeBytes', rule: 'min', message: 'sizeBytes must not be less than 1' },
        expect.objectContaining({ field: 'colour', rule: 'whitelistValidation' }),
      ]),
    );
    const [{ n: after }] = await db.query(`SELECT count(*)::int AS n FROM orchestrator.outbox`);
    expect(after).toBe(before);
    expect((await http().post('/volumes').set('content-type', 'application/json').send('{oops').expect(400)).body).toEqual({
      statusCode: 400,
      code: 'request.invalid',
      message: 'request body is not valid JSON',
      violations: [{ field: 'body', rule: 'isJson', message: 'request body is not valid JSON' }],
    });
  });

  it('a volume goes creating -> ready, with its history and its pool usage', async () => {
    const res = await http().post('/volumes').set('X-Tenant', 'acme').send({ name: 'data-1', poolId, sizeBytes: 10 * GiB }).expect(202);
    volumeId = res.body.volumeId;
    const command = await commandFor(res.body.jobId);
    expect(command).toMatchObject({ type: 'CreateVolume', aggregateId: volumeId, tenant: 'acme', correlationId: res.body.jobId });

    const backendName = `vol-${volumeId}`;
    await emit('VolumeCreationRequested', volumeId, 1, res.body.jobId, { volumeId, name: 'data-1', poolId, sizeBytes: 10 * GiB, volumeType: 'DATA', backendName }, 'acme');
    const created = await emit('VolumeCreated', volumeId, 2, res.body.jobId, { volumeId, poolId, backendName, sizeBytes: 10 * GiB, path: `/srv/fast/${backendName}` }, 'acme');
    await jobStatus(res.body.jobId, 'succeeded');
    // The same event delivered again is projected once.
    await bus.publish([{ topic: topics.storageEvents, key: volumeId, value: JSON.stringify(created) }]);

    const volume = (await http().get(`/volumes/${volumeId}`).set('X-Tenant', 'acme').expect(200)).body;
    expect(volume).toMatchObject({ id: volumeId, status: 'ready', tenant: 'acme', sizeBytes: 10 * GiB, backendName, path: `/srv/fast/${backendName}`, lastError: null });
    const history = (await http().get(`/volumes/${volumeId}/events`).expect(200)).body.items;
    expect(history.map((e: Envelope) => [e.streamVersion, e.type])).toEqual([
      [1, 'VolumeCreationRequested'],
      [2, 'VolumeCreated'],
    ]);
    expect(history[1]).toEqual(created);
    await until('pool usage', async () => {
      const pool = (await http().get(`/pools/${poolId}`)).body;
      return pool.allocatedBytes === 10 * GiB && pool.volumeCount === 1 ? pool : undefined;
    });
  });

  it('keeps tenants apart', async () => {
    await http().get(`/volumes/${volumeId}`).set('X-Tenant', 'globex').expect(404);
    await http().delete(`/volumes/${volumeId}`).set('X-Tenant', 'globex').expect(404);
    expect((await http().get('/volumes').set('X-Tenant', 'globex').expect(200)).body.items).toEqual([]);
    expect((await http().get('/volumes').set('X-Tenant', 'acme').expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([volumeId]);

    // The same with the tenants' own keys: a tenant key acts as its tenant whatever X-Tenant says.
    const globexKey = (await makeApiKey(app, adminKey, 'tenant', 'globex')).key;
    expect((await withKey(app, globexKey).get(`/volumes/${volumeId}`).expect(404)).body.code).toBe('volume.not_found');
    expect((await withKey(app, globexKey).get(`/volumes/${volumeId}`).set('X-Tenant', 'acme').expect(404)).body.code).toBe('volume.not_found');
    expect((await withKey(app, globexKey).get('/volumes').set('X-Tenant', 'acme').expect(200)).body.items).toEqual([]);
    expect((await withKey(app, acmeKey).get(`/volumes/${volumeId}`).set('X-Tenant', 'globex').expect(200)).body.id).toBe(volumeId);
    expect((await withKey(app, acmeKey).get('/volumes').expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([volumeId]);
  });

  it('DELETE /volumes/:id answers 202, then deleted volumes hide and a second delete is 409', async () => {
    const res = await http().delete(`/volumes/${volumeId}`).set('X-Tenant', 'acme').expect(202);
    expect(res.body).toEqual({ jobId: expect.any(String), volumeId });
    expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'DeleteVolume', aggregateId: volumeId, data: {} });
    await emit('VolumeDeletionRequested', volumeId, 3, res.body.jobId, { volumeId, poolId, backendName: `vol-${volumeId}` }, 'acme');
    await emit('VolumeDeleted', volumeId, 4, res.body.jobId, { volumeId, poolId, sizeBytes: 10 * GiB }, 'acme');
    await jobStatus(res.body.jobId, 'succeeded');

    expect((await http().get('/volumes').query({ poolId }).expect(200)).body.items).toEqual([]);
    expect((await http().get('/volumes').query({ poolId, status: 'deleted' }).expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([volumeId]);
    expect((await http().get(`/pools/${poolId}`).expect(200)).body).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
    const again = await http().delete(`/volumes/${volumeId}`).expect(409);
    expect(again.body).toEqual({ statusCode: 409, code: 'volume.already_deleted', message: `volume ${volumeId} is already deleted` });
  });

  it('a rejected command fails its job with the violations', async () => {
    const res = await http().post('/volumes').send({ name: 'data-2', poolId: randomUUID(), sizeBytes: GiB }).expect(202);
    await emit('CommandRejected', res.body.volumeId, 1, res.body.jobId, {
      commandId: res.body.jobId,
      commandType: 'CreateVolume',
      aggregateId: res.body.volumeId,
      error: { code: 'pool.not_found', category: 'not_found', message: 'no such pool' },
      violations: [],
    });
    const job = await jobStatus(res.body.jobId, 'failed');
    expect(job.error).toEqual({ code: 'pool.not_found', category: 'not_found', message: 'no such pool', violations: [] });
    await http().get(`/volumes/${res.body.volumeId}`).expect(404);
  });

  it('pages through volumes with an opaque cursor, filtered by pool and name', async () => {
    const pagedPool = randomUUID();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      ids.push(id);
      // Published directly, as another system would: the projection makes their jobs too.
      await emit('VolumeCreationRequested', id, 1, randomUUID(), { volumeId: id, name: `page-${i}`, poolId: pagedPool, sizeBytes: GiB, volumeType: 'DATA', backendName: `vol-${id}` });
    }
    await until('five volumes projected', async () => {
      const res = await http().get('/volumes').query({ poolId: pagedPool, limit: 500 });
      return res.body.items?.length === 5 ? true : undefined;
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await http().get('/volumes').query({ poolId: pagedPool, limit: 2, ...(cursor ? { cursor } : {}) }).expect(200);
      seen.push(...res.body.items.map((v: { id: string }) => v.id));
      cursor = res.body.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toHaveLength(5);
    expect((await http().get('/volumes').query({ poolId: pagedPool, name: 'page-3' }).expect(200)).body.items).toHaveLength(1);
    expect((await http().get('/volumes').query({ status: 'creating', limit: 501 }).expect(400)).body.violations).toEqual([
      expect.objectContaining({ field: 'limit', rule: 'max' }),
    ]);
  });

  describe('the pool lifecycle', () => {
    let lcPool: string;
    const pool = async () => (await http().get(`/pools/${lcPool}`).expect(200)).body;
    const poolWhere = (what: string, check: (p: Record<string, unknown>) => boolean) =>
      until(`pool ${what}`, async () => {
        const res = await http().get(`/pools/${lcPool}`);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      });
    const outboxCount = async () => {
      const [{ n }] = await app.get(DataSource).query(`SELECT count(*)::int AS n FROM orchestrator.outbox`);
      return n as number;
    };

    it('POST /pools takes the placement settings; the pool shows them and the room left for allocation', async () => {
      const settings = { hypervisors: ['kvm'], capacityIops: 20000, overProvisioningFactor: 2, allocationDisableThreshold: 0.75 };
      const res = await http()
        .post('/pools')
        .send({ name: 'lc-01', plugin: 'file', zoneId: 'zone-lc', config: { path: '/srv/lc' }, ...settings })
        .expect(202);
      lcPool = res.body.poolId;
      expect((await commandFor(res.body.jobId)).data).toMatchObject(settings);
      await emit('StoragePoolAdded', lcPool, 1, res.body.jobId, {
        poolId: lcPool, name: 'lc-01', plugin: 'file', zoneId: 'zone-lc', clusterId: null, tags: [],
        config: { path: '/srv/lc' }, capacityBytes: 100 * GiB, usedBytes: GiB, ...settings,
      });
      await jobStatus(res.body.jobId, 'succeeded');
      expect(await pool()).toMatchObject({
        status: 'enabled',
        disabledReason: null,
        ...settings,
        capacityBytes: 100 * GiB,
        allocatedBytes: 0,
        // floor(100 GiB × 2 × 0.75)
        allocatableBytes: 150 * GiB,
        capacityMeasuredAt: expect.any(String),
      });
    });

    it('PATCH /pools/:id answers 202, queues UpdateStoragePool, and StoragePoolUpdated changes the pool', async () => {
      const res = await http().patch(`/pools/${lcPool}`).set('X-Correlation-Id', 'corr-lc').send({ name: 'lc-02', allocationDisableThreshold: 0.5 }).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), poolId: lcPool });
      expect(await commandFor(res.body.jobId)).toMatchObject({
        type: 'UpdateStoragePool',
        aggregateId: lcPool,
        correlationId: 'corr-lc',
        tenant: null,
        data: { name: 'lc-02', allocationDisableThreshold: 0.5 },
      });
      expect(commandKeys.get(res.body.jobId)).toBe(lcPool);
      expect((await http().get(`/jobs/${res.body.jobId}`).expect(200)).body).toMatchObject({ status: 'accepted', commandType: 'UpdateStoragePool', aggregateId: lcPool });

      await emit('StoragePoolUpdated', lcPool, 2, res.body.jobId, { poolId: lcPool, changes: { name: 'lc-02', allocationDisableThreshold: 0.5 } });
      const job = await jobStatus(res.body.jobId, 'succeeded');
      expect(job.result).toEqual({ poolId: lcPool, changes: { name: 'lc-02', allocationDisableThreshold: 0.5 } });
      expect(await pool()).toMatchObject({ name: 'lc-02', allocationDisableThreshold: 0.5, overProvisioningFactor: 2, hypervisors: ['kvm'], allocatableBytes: 100 * GiB });
    });

    it('POST /pools/:id/disable and /enable answer 202; the pool shows the reason while disabled', async () => {
      const off = await http().post(`/pools/${lcPool}/disable`).send({ reason: 'backend maintenance' }).expect(202);
      expect(await commandFor(off.body.jobId)).toMatchObject({ type: 'DisableStoragePool', aggregateId: lcPool, data: { reason: 'backend maintenance' } });
      await emit('StoragePoolDisabled', lcPool, 3, off.body.jobId, { poolId: lcPool, reason: 'backend maintenance' });
      await jobStatus(off.body.jobId, 'succeeded');
      expect(await pool()).toMatchObject({ status: 'disabled', disabledReason: 'backend maintenance' });
      // Disabled pools are listed.
      expect((await http().get('/pools').query({ status: 'disabled' }).expect(200)).body.items.map((p: { id: string }) => p.id)).toContain(lcPool);

      const on = await http().post(`/pools/${lcPool}/enable`).expect(202);
      expect(on.body).toEqual({ jobId: expect.any(String), poolId: lcPool });
      expect(await commandFor(on.body.jobId)).toMatchObject({ type: 'EnableStoragePool', aggregateId: lcPool, data: {} });
      await emit('StoragePoolEnabled', lcPool, 4, on.body.jobId, { poolId: lcPool });
      await jobStatus(on.body.jobId, 'succeeded');
      expect(await pool()).toMatchObject({ status: 'enabled', disabledReason: null });
    });

    it('POST /pools/:id/refresh-capacity answers 202; StoragePoolCapacityRefreshed updates capacity, not allocation', async () => {
      const before = await pool();
      const res = await http().post(`/pools/${lcPool}/refresh-capacity`).send({}).expect(202);
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'RefreshPoolCapacity', aggregateId: lcPool, data: {} });
      await emit('StoragePoolCapacityRefreshed', lcPool, 5, res.body.jobId, { poolId: lcPool, capacityBytes: 120 * GiB, usedBytes: 30 * GiB });
      const job = await jobStatus(res.body.jobId, 'succeeded');
      expect(job.result).toEqual({ poolId: lcPool, capacityBytes: 120 * GiB, usedBytes: 30 * GiB });
      const after = await pool();
      expect(after).toMatchObject({ capacityBytes: 120 * GiB, usedBytes: 30 * GiB, allocatedBytes: 0, allocatableBytes: 120 * GiB });
      expect(Date.parse(after.capacityMeasuredAt)).toBeGreaterThan(Date.parse(before.capacityMeasuredAt));
    });

    it('refuses bad bodies, tenants and unknown pools before queueing anything', async () => {
      const before = await outboxCount();
      expect((await http().patch(`/pools/${lcPool}`).send({}).expect(400)).body.violations).toEqual([
        { field: 'body', rule: 'notEmpty', message: expect.stringContaining('allocationDisableThreshold') },
      ]);
      expect((await http().patch(`/pools/${lcPool}`).send({ allocationDisableThreshold: 1.5 }).expect(400)).body.violations).toEqual([
        { field: 'allocationDisableThreshold', rule: 'max', message: 'allocationDisableThreshold must not be greater than 1' },
      ]);
      expect((await http().patch(`/pools/${lcPool}`).send({ name: 'ok', plugin: 'nfs' }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'plugin', rule: 'whitelistValidation' }),
      ]);
      expect((await http().post(`/pools/${lcPool}/disable`).send({ reason: 'x'.repeat(600) }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'reason', rule: 'maxLength' }),
      ]);
      const tenant = [
        http().patch(`/pools/${lcPool}`).send({ name: 'x' }),
        http().post(`/pools/${lcPool}/enable`),
        http().post(`/pools/${lcPool}/disable`),
        http().delete(`/pools/${lcPool}`),
        http().post(`/pools/${lcPool}/refresh-capacity`),
      ];
      for (const req of tenant) {
        const res = await req.set('authorization', acmeBearer());
        expect([res.status, res.body.code]).toEqual([403, 'auth.forbidden']);
      }
      const unknown = randomUUID();
      for (const res of [
        await http().patch(`/pools/${unknown}`).send({ name: 'x' }),
        await http().post(`/pools/${unknown}/enable`),
        await http().delete(`/pools/${unknown}`),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ statusCode: 404, code: 'pool.not_found', message: `pool ${unknown} does not exist` });
      }
      expect((await http().post('/pools/nope/disable').expect(400)).body.violations).toEqual([{ field: 'id', rule: 'isUuid', message: 'id must be a UUID' }]);
      expect(await outboxCount()).toBe(before);
    });

    it('DELETE /pools/:id answers 202; a pool.has_volumes refusal fails the job, StoragePoolDeleted hides the pool', async () => {
      const refused = await http().delete(`/pools/${lcPool}`).expect(202);
      expect(await commandFor(refused.body.jobId)).toMatchObject({ type: 'DeleteStoragePool', aggregateId: lcPool, data: {} });
      const volumeIds = [randomUUID()];
      const message = `storage pool ${lcPool} still holds 1 volume(s): ${volumeIds[0]}; delete or migrate them first`;
      await emit('CommandRejected', lcPool, 1, refused.body.jobId, {
        commandId: refused.body.jobId,
        commandType: 'DeleteStoragePool',
        aggregateId: lcPool,
        error: { code: 'pool.has_volumes', category: 'illegal_state', message },
        violations: [],
      });
      const failed = await jobStatus(refused.body.jobId, 'failed');
      expect(failed.error).toMatchObject({ code: 'pool.has_volumes', message, violations: [] });
      expect(await pool()).toMatchObject({ status: 'enabled' });

      const res = await http().delete(`/pools/${lcPool}`).expect(202);
      await emit('StoragePoolDeleted', lcPool, 6, res.body.jobId, { poolId: lcPool });
      await jobStatus(res.body.jobId, 'succeeded');
      expect(await pool()).toMatchObject({ id: lcPool, status: 'deleted', name: 'lc-02' });
      const listed = async (query: Record<string, string>) =>
        (await http().get('/pools').query({ limit: 500, ...query }).expect(200)).body.items.map((p: { id: string }) => p.id);
      expect(await listed({})).not.toContain(lcPool);
      expect(await listed({ zoneId: 'zone-lc' })).toEqual([]);
      expect(await listed({ status: 'deleted', zoneId: 'zone-lc' })).toEqual([lcPool]);
      expect(await listed({ zoneId: 'zone-1' })).toContain(poolId);
      expect((await http().get('/pools').query({ status: 'gone' }).expect(400)).body.violations).toEqual([expect.objectContaining({ field: 'status', rule: 'isIn' })]);

      // A deleted pool takes no more commands, but its history stays.
      expect((await http().patch(`/pools/${lcPool}`).send({ name: 'again' }).expect(404)).body.code).toBe('pool.not_found');
      expect((await http().delete(`/pools/${lcPool}`).expect(404)).body.code).toBe('pool.not_found');
      const history = (await http().get(`/pools/${lcPool}/events`).expect(200)).body.items;
      expect(history.map((e: Envelope) => [e.streamVersion, e.type])).toEqual([
        [1, 'StoragePoolAdded'],
        [2, 'StoragePoolUpdated'],
        [3, 'StoragePoolDisabled'],
        [4, 'StoragePoolEnabled'],
        [5, 'StoragePoolCapacityRefreshed'],
        [6, 'StoragePoolDeleted'],
      ]);
      await poolWhere('still deleted', (p) => p.status === 'deleted');
    });
  });

  describe('hosts, volume operations and pool drift', () => {
    let hostId: string;
    let opVolume: string;
    const acme = (req: request.Test) => req.set('X-Tenant', 'acme');
    const outboxCount = async () => {
      const [{ n }] = await app.get(DataSource).query(`SELECT count(*)::int AS n FROM orchestrator.outbox`);
      return n as number;
    };
    const volumeWhere = (what: string, check: (v: Record<string, unknown>) => boolean) =>
      until(`volume ${what}`, async () => {
        const res = await http().get(`/volumes/${opVolume}`);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      });
    const poolWhere = (what: string, id: string, check: (p: Record<string, unknown>) => boolean) =>
      until(`pool ${what}`, async () => {
        const res = await http().get(`/pools/${id}`);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      });

    it('POST /hosts answers 202 and publishes RegisterHost; HostRegistered lists the host', async () => {
      const body = { name: 'kvm-01', zoneId: 'zone-h', clusterId: 'c-h', hypervisor: 'kvm', identities: { linstorNode: 'kvm01', storpoolClientId: 4 } };
      const res = await http().post('/hosts').set('X-Correlation-Id', 'corr-host').send(body).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), hostId: expect.any(String) });
      hostId = res.body.hostId;
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'RegisterHost', aggregateId: hostId, tenant: null, correlationId: 'corr-host', data: body });
      expect(commandKeys.get(res.body.jobId)).toBe(hostId);

      await emit('HostRegistered', hostId, 1, res.body.jobId, { hostId, ...body });
      const job = await jobStatus(res.body.jobId, 'succeeded');
      expect(job).toMatchObject({ commandType: 'RegisterHost', aggregateId: hostId, result: { hostId } });
      expect((await http().get(`/hosts/${hostId}`).expect(200)).body).toMatchObject({
        id: hostId, name: 'kvm-01', zoneId: 'zone-h', clusterId: 'c-h', hypervisor: 'kvm', identities: { linstorNode: 'kvm01', storpoolClientId: 4 }, status: 'registered',
      });
      const listed = async (query: Record<string, string>) => (await http().get('/hosts').query(query).expect(200)).body.items.map((h: { id: string }) => h.id);
      expect(await listed({ zoneId: 'zone-h' })).toEqual([hostId]);
      expect(await listed({ zoneId: 'zone-h', clusterId: 'c-h', status: 'registered' })).toEqual([hostId]);
      expect(await listed({ clusterId: 'other' })).not.toContain(hostId);
    });

    it('refuses host mutations by a tenant, bad bodies and unknown hosts, queueing nothing', async () => {
      const before = await outboxCount();
      for (const req of [http().post('/hosts').send({ name: 'h', zoneId: 'z', hypervisor: 'kvm' }), http().delete(`/hosts/${hostId}`)]) {
        const res = await req.set('authorization', acmeBearer());
        expect([res.status, res.body.code]).toEqual([403, 'auth.forbidden']);
      }
      expect((await http().post('/hosts').send({ name: 'h', zoneId: 'z', hypervisor: 'bhyve' }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'hypervisor', rule: 'isIn' }),
      ]);
      const unknown = randomUUID();
      expect((await http().delete(`/hosts/${unknown}`).expect(404)).body).toEqual({ statusCode: 404, code: 'host.not_found', message: `host ${unknown} does not exist` });
      await http().get(`/hosts/${unknown}`).expect(404);
      expect((await http().get('/hosts').query({ status: 'gone' }).expect(400)).body.violations).toEqual([expect.objectContaining({ field: 'status', rule: 'isIn' })]);
      expect(await outboxCount()).toBe(before);
    });

    it('POST /volumes takes allocation instead of a pool (400 when neither is given); the volume shows how it was placed', async () => {
      expect((await acme(http().post('/volumes')).send({ name: 'ops-1', sizeBytes: GiB }).expect(400)).body.violations).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'poolId' }), expect.objectContaining({ field: 'zoneId' })]),
      );
      const body = {
        name: 'ops-1', sizeBytes: 10 * GiB, zoneId: 'zone-1', poolTags: ['ssd'], hypervisor: 'kvm', allocationPolicy: 'most-free',
        provisioning: 'thick', qos: { iops: 500 }, volumeType: 'DATA',
      };
      const res = await acme(http().post('/volumes')).send(body).expect(202);
      opVolume = res.body.volumeId;
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'CreateVolume', aggregateId: opVolume, tenant: 'acme', data: body });

      const backendName = `vol-${opVolume}`;
      const allocation = { policy: 'most-free', candidates: [{ poolId, fits: true, reasons: [] }] };
      await emit('VolumeCreationRequested', opVolume, 1, res.body.jobId, {
        volumeId: opVolume, name: 'ops-1', poolId, sizeBytes: 10 * GiB, volumeType: 'DATA', backendName, provisioning: 'thick', qos: { iops: 500 }, allocation,
      }, 'acme');
      await emit('VolumeCreated', opVolume, 2, res.body.jobId, { volumeId: opVolume, poolId, backendName, sizeBytes: 10 * GiB, path: null }, 'acme');
      const job = await jobStatus(res.body.jobId, 'succeeded');
      expect(job.result).toMatchObject({ volumeId: opVolume, poolId });
      expect((await acme(http().get(`/volumes/${opVolume}`)).expect(200)).body).toMatchObject({
        status: 'ready', poolId, provisioning: 'thick', qos: { iops: 500, bandwidthBytesPerSecond: null, tier: null }, allocation, attachments: [], resizeToBytes: null,
      });
      await poolWhere('holding the new volume', poolId, (p) => p.allocatedBytes === 10 * GiB);
    });

    it('POST /volumes/:id/resize answers 202; the volume is resizing, then has the new size, and the pool follows', async () => {
      const res = await acme(http().post(`/volumes/${opVolume}/resize`)).send({ sizeBytes: 20 * GiB }).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), volumeId: opVolume });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'ResizeVolume', aggregateId: opVolume, tenant: 'acme', data: { sizeBytes: 20 * GiB } });
      expect(commandKeys.get(res.body.jobId)).toBe(opVolume);

      await emit('VolumeResizeRequested', opVolume, 3, res.body.jobId, { volumeId: opVolume, fromBytes: 10 * GiB, toBytes: 20 * GiB, allowShrink: false }, 'acme');
      await jobStatus(res.body.jobId, 'running');
      expect(await volumeWhere('resizing', (v) => v.status === 'resizing')).toMatchObject({ sizeBytes: 10 * GiB, resizeToBytes: 20 * GiB });
      await poolWhere('holding the grow', poolId, (p) => p.allocatedBytes === 20 * GiB);
      await emit('VolumeResized', opVolume, 4, res.body.jobId, { volumeId: opVolume, sizeBytes: 20 * GiB }, 'acme');
      expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ volumeId: opVolume, sizeBytes: 20 * GiB });
      expect(await volumeWhere('resized', (v) => v.status === 'ready')).toMatchObject({ sizeBytes: 20 * GiB, resizeToBytes: null });
      expect((await http().get(`/pools/${poolId}`).expect(200)).body).toMatchObject({ allocatedBytes: 20 * GiB, volumeCount: 1 });
    });

    it('POST /volumes/:id/attach and /detach answer 202; the volume is attached with its device, then ready again', async () => {
      const attach = await acme(http().post(`/volumes/${opVolume}/attach`)).send({ hostId }).expect(202);
      expect(await commandFor(attach.body.jobId)).toMatchObject({ type: 'AttachVolume', aggregateId: opVolume, data: { hostId } });
      await emit('VolumeAttachRequested', opVolume, 5, attach.body.jobId, { volumeId: opVolume, hostId, backendHost: 'kvm01' }, 'acme');
      await emit('VolumeAttached', opVolume, 6, attach.body.jobId, { volumeId: opVolume, hostId, devicePath: '/dev/drbd1000' }, 'acme');
      expect((await jobStatus(attach.body.jobId, 'succeeded')).result).toEqual({ volumeId: opVolume, hostId, devicePath: '/dev/drbd1000' });
      expect(await volumeWhere('attached', (v) => v.status === 'attached')).toMatchObject({
        attachments: [{ hostId, devicePath: '/dev/drbd1000', attachedAt: expect.any(String) }],
      });
      expect((await acme(http().get('/volumes')).query({ status: 'attached' }).expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([opVolume]);

      const detach = await acme(http().post(`/volumes/${opVolume}/detach`)).send({ hostId }).expect(202);
      expect(await commandFor(detach.body.jobId)).toMatchObject({ type: 'DetachVolume', aggregateId: opVolume, data: { hostId } });
      await emit('VolumeDetachRequested', opVolume, 7, detach.body.jobId, { volumeId: opVolume, hostId, backendHost: 'kvm01' }, 'acme');
      await emit('VolumeDetached', opVolume, 8, detach.body.jobId, { volumeId: opVolume, hostId }, 'acme');
      await jobStatus(detach.body.jobId, 'succeeded');
      expect(await volumeWhere('detached', (v) => v.status === 'ready')).toMatchObject({ attachments: [] });
    });

    it('PUT /volumes/:id/qos answers 202; VolumeQosChanged sets the limits, a failure keeps them with the reason', async () => {
      const res = await acme(http().put(`/volumes/${opVolume}/qos`)).send({ iops: 2000, tier: 'gold' }).expect(202);
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'ChangeVolumeQos', aggregateId: opVolume, data: { iops: 2000, tier: 'gold' } });
      await emit('VolumeQosChangeRequested', opVolume, 9, res.body.jobId, { volumeId: opVolume, qos: { iops: 2000, tier: 'gold' } }, 'acme');
      await emit('VolumeQosChanged', opVolume, 10, res.body.jobId, { volumeId: opVolume, qos: { iops: 2000, tier: 'gold' } }, 'acme');
      await jobStatus(res.body.jobId, 'succeeded');
      await volumeWhere('with its new QoS', (v) => (v.qos as { iops?: number } | null)?.iops === 2000);

      const failing = await acme(http().put(`/volumes/${opVolume}/qos`)).send({ bandwidthBytesPerSecond: 1 }).expect(202);
      await emit('VolumeQosChangeRequested', opVolume, 11, failing.body.jobId, { volumeId: opVolume, qos: { bandwidthBytesPerSecond: 1 } }, 'acme');
      await emit('VolumeQosChangeFailed', opVolume, 12, failing.body.jobId, { volumeId: opVolume, error: { code: 'volume.qos_unsupported', category: 'validation', message: 'no' } }, 'acme');
      expect((await jobStatus(failing.body.jobId, 'failed')).error).toMatchObject({ code: 'volume.qos_unsupported' });
      expect(await volumeWhere('with the QoS failure', (v) => v.lastError !== null)).toMatchObject({
        qos: { iops: 2000, bandwidthBytesPerSecond: null, tier: 'gold' }, lastError: { code: 'volume.qos_unsupported' },
      });
      const history = (await http().get(`/volumes/${opVolume}/events`).expect(200)).body.items.map((e: Envelope) => e.type);
      expect(history).toEqual([
        'VolumeCreationRequested', 'VolumeCreated', 'VolumeResizeRequested', 'VolumeResized', 'VolumeAttachRequested', 'VolumeAttached',
        'VolumeDetachRequested', 'VolumeDetached', 'VolumeQosChangeRequested', 'VolumeQosChanged', 'VolumeQosChangeRequested', 'VolumeQosChangeFailed',
      ]);
    });

    it('refuses volume operations on unknown volumes and hosts, other tenants, and bad bodies, queueing nothing', async () => {
      const before = await outboxCount();
      const globex = (req: request.Test) => req.set('X-Tenant', 'globex');
      for (const req of [
        globex(http().post(`/volumes/${opVolume}/resize`)).send({ sizeBytes: GiB }),
        globex(http().put(`/volumes/${opVolume}/qos`)).send({ iops: 1 }),
        http().post(`/volumes/${randomUUID()}/attach`).send({ hostId }),
      ]) {
        expect((await req.expect(404)).body.code).toBe('volume.not_found');
      }
      const unknownHost = randomUUID();
      expect((await acme(http().post(`/volumes/${opVolume}/attach`)).send({ hostId: unknownHost }).expect(404)).body).toEqual({
        statusCode: 404, code: 'host.not_found', message: `host ${unknownHost} does not exist`,
      });
      expect((await acme(http().post(`/volumes/${opVolume}/resize`)).send({ sizeBytes: 0 }).expect(400)).body.violations).toEqual([
        { field: 'sizeBytes', rule: 'min', message: 'sizeBytes must not be less than 1' },
      ]);
      expect((await acme(http().post(`/volumes/${opVolume}/detach`)).send({ hostId: 'kvm-01' }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'hostId', rule: 'isUuid' }),
      ]);
      expect(await outboxCount()).toBe(before);
    });

    it('DELETE /hosts/:id answers 202; HostDeregistered keeps the host, listed only when asked, and takes no new attachment', async () => {
      const res = await http().delete(`/hosts/${hostId}`).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), hostId });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'DeregisterHost', aggregateId: hostId, data: {} });
      await emit('HostDeregistered', hostId, 2, res.body.jobId, { hostId });
      await jobStatus(res.body.jobId, 'succeeded');
      expect((await http().get(`/hosts/${hostId}`).expect(200)).body).toMatchObject({ status: 'deregistered', name: 'kvm-01' });
      expect((await http().get('/hosts').query({ zoneId: 'zone-h' }).expect(200)).body.items).toEqual([]);
      expect((await http().get('/hosts').query({ zoneId: 'zone-h', status: 'deregistered' }).expect(200)).body.items).toHaveLength(1);
      expect((await http().get(`/hosts/${hostId}/events`).expect(200)).body.items.map((e: Envelope) => e.type)).toEqual(['HostRegistered', 'HostDeregistered']);
      expect((await acme(http().post(`/volumes/${opVolume}/attach`)).send({ hostId }).expect(404)).body.code).toBe('host.not_found');
      expect((await http().delete(`/hosts/${hostId}`).expect(404)).body.code).toBe('host.not_found');
    });

    it('GET /pools/:id/drift is empty before any reconciliation; POST /pools/:id/reconcile answers 202 and PoolDriftDetected fills it', async () => {
      expect((await http().get(`/pools/${poolId}/drift`).expect(200)).body).toEqual({
        poolId, state: 'never_reconciled', orphans: [], missing: [], detectedAt: null, removals: [],
      });
      const unknown = randomUUID();
      expect((await http().get(`/pools/${unknown}/drift`).expect(404)).body.code).toBe('pool.not_found');

      const res = await http().post(`/pools/${poolId}/reconcile`).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), poolId });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'ReconcilePool', aggregateId: poolId, data: {} });
      const missingVolume = randomUUID();
      // The drift stream's own versions: 1 here, as the pool's StoragePoolAdded.
      const detected = await emit('PoolDriftDetected', poolId, 1, res.body.jobId, {
        poolId,
        orphans: [{ backendName: 'legacy-1', sizeBytes: 3 * GiB }, { backendName: 'legacy-2', sizeBytes: GiB }],
        missing: [{ volumeId: missingVolume, backendName: `vol-${missingVolume}` }],
      });
      const job = await jobStatus(res.body.jobId, 'succeeded');
      expect(job).toMatchObject({ commandType: 'ReconcilePool', result: { poolId, orphans: [{ backendName: 'legacy-1' }, { backendName: 'legacy-2' }] } });
      expect((await http().get(`/pools/${poolId}/drift`).expect(200)).body).toEqual({
        poolId,
        state: 'drift',
        orphans: [
          { backendName: 'legacy-1', sizeBytes: 3 * GiB, removal: null },
          { backendName: 'legacy-2', sizeBytes: GiB, removal: null },
        ],
        missing: [{ volumeId: missingVolume, backendName: `vol-${missingVolume}` }],
        detectedAt: detected.occurredAt,
        removals: [],
      });
      const history = (await http().get(`/pools/${poolId}/events`).expect(200)).body.items;
      expect(history.map((e: Envelope) => [e.streamVersion, e.type])).toEqual([
        [1, 'StoragePoolAdded'],
        [1, 'PoolDriftDetected'],
      ]);
    });

    it('POST /pools/:id/orphans/remove answers 202; the removal shows on the drift record', async () => {
      const res = await http().post(`/pools/${poolId}/orphans/remove`).send({ backendName: 'legacy-2' }).expect(202);
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'RemoveOrphan', aggregateId: poolId, data: { backendName: 'legacy-2' } });
      await emit('OrphanRemovalRequested', poolId, 2, res.body.jobId, { poolId, backendName: 'legacy-2' });
      await jobStatus(res.body.jobId, 'running');
      await emit('OrphanRemoved', poolId, 3, res.body.jobId, { poolId, backendName: 'legacy-2' });
      expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ poolId, backendName: 'legacy-2' });
      const drift = (await http().get(`/pools/${poolId}/drift`).expect(200)).body;
      expect(drift.orphans.map((o: { backendName: string }) => o.backendName)).toEqual(['legacy-1']);
      expect(drift.removals).toEqual([{ backendName: 'legacy-2', status: 'removed', error: null, updatedAt: expect.any(String) }]);
    });

    it('POST /volumes/manage answers 202; VolumeManaged adopts the orphan as a ready volume that counts on the pool', async () => {
      const res = await http().post('/volumes/manage').send({ poolId, backendName: 'legacy-1', name: 'adopted-1' }).expect(202);
      const managed = res.body.volumeId;
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'ManageVolume', aggregateId: managed, tenant: null, data: { poolId, backendName: 'legacy-1', name: 'adopted-1' } });
      await emit('VolumeManaged', managed, 1, res.body.jobId, { volumeId: managed, name: 'adopted-1', poolId, backendName: 'legacy-1', sizeBytes: 3 * GiB, path: null });
      expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ volumeId: managed, poolId, backendName: 'legacy-1', sizeBytes: 3 * GiB });
      expect((await http().get(`/volumes/${managed}`).expect(200)).body).toMatchObject({ status: 'ready', name: 'adopted-1', poolId, sizeBytes: 3 * GiB, backendName: 'legacy-1' });
      await poolWhere('holding the adopted volume', poolId, (p) => p.allocatedBytes === 23 * GiB && p.volumeCount === 2);
      expect((await http().get(`/pools/${poolId}/drift`).expect(200)).body.orphans).toEqual([]);
    });

    it('refuses drift commands by a tenant and on unknown pools, queueing nothing', async () => {
      const before = await outboxCount();
      for (const req of [
        http().post(`/pools/${poolId}/reconcile`),
        http().post(`/pools/${poolId}/orphans/remove`).send({ backendName: 'x' }),
        http().post('/volumes/manage').send({ poolId, backendName: 'x', name: 'y' }),
      ]) {
        const res = await req.set('authorization', acmeBearer());
        expect([res.status, res.body.code]).toEqual([403, 'auth.forbidden']);
      }
      const unknown = randomUUID();
      expect((await http().post(`/pools/${unknown}/reconcile`).expect(404)).body.code).toBe('pool.not_found');
      expect((await http().post(`/pools/${unknown}/orphans/remove`).send({ backendName: 'x' }).expect(404)).body.code).toBe('pool.not_found');
      expect((await http().post('/volumes/manage').send({ poolId: unknown, backendName: 'x', name: 'y' }).expect(404)).body.code).toBe('pool.not_found');
      expect((await http().post(`/pools/${poolId}/orphans/remove`).send({}).expect(400)).body.violations).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'backendName' })]),
      );
      expect(await outboxCount()).toBe(before);
    });

    it("a rejection's details reach the job's error (allocation.no_pool names the candidates)", async () => {
      const res = await acme(http().post('/volumes')).send({ name: 'nowhere', sizeBytes: GiB, zoneId: 'zone-none' }).expect(202);
      const candidates = [{ poolId, fits: false, reasons: ['zone'] }];
      await emit('CommandRejected', res.body.volumeId, 1, res.body.jobId, {
        commandId: res.body.jobId,
        commandType: 'CreateVolume',
        aggregateId: res.body.volumeId,
        error: { code: 'allocation.no_pool', category: 'capacity', message: 'no pool in zone-none fits' },
        violations: [],
        details: { candidates },
      });
      const job = await jobStatus(res.body.jobId, 'failed');
      expect(job.error).toEqual({ code: 'allocation.no_pool', category: 'capacity', message: 'no pool in zone-none fits', violations: [], details: { candidates } });
    });
  });

  describe('volume migration and pool maintenance', () => {
    let source: string;
    let destination: string;
    let moving: string;
    let mover: string;
    const outboxCount = async () => {
      const [{ n }] = await app.get(DataSource).query(`SELECT count(*)::int AS n FROM orchestrator.outbox`);
      return n as number;
    };
    const where = (what: string, path: string, check: (body: Record<string, unknown>) => boolean) =>
      until(what, async () => {
        const res = await http().get(path);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      });

    it('sets up two pools of one zone, a data-mover host and a 10 GiB volume on the first (published as the storage service would)', async () => {
      [source, destination, moving, mover] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      for (const [poolId, name] of [[source, 'mig-src'], [destination, 'mig-dst']]) {
        await emit('StoragePoolAdded', poolId, 1, null, {
          poolId, name, plugin: 'file', zoneId: 'zone-mig', clusterId: null, tags: [], config: { path: `/srv/${name}` }, capacityBytes: 100 * GiB, usedBytes: 0,
        });
      }
      await emit('HostRegistered', mover, 1, null, { hostId: mover, name: 'mover-01', zoneId: 'zone-mig', clusterId: null, hypervisor: 'kvm', identities: {} });
      const create = randomUUID();
      await emit('VolumeCreationRequested', moving, 1, create, { volumeId: moving, name: 'mig-1', poolId: source, sizeBytes: 10 * GiB, volumeType: 'DATA', backendName: `vol-${moving}` }, 'acme');
      await emit('VolumeCreated', moving, 2, create, { volumeId: moving, poolId: source, backendName: `vol-${moving}`, sizeBytes: 10 * GiB, path: `/srv/mig-src/vol-${moving}` }, 'acme');
      await jobStatus(create, 'succeeded');
      await where('source pool holding the volume', `/pools/${source}`, (p) => p.allocatedBytes === 10 * GiB && p.volumeCount === 1);
      await where('destination pool', `/pools/${destination}`, (p) => p.allocatedBytes === 0);
      await where('data-mover host', `/hosts/${mover}`, (h) => h.status === 'registered');
      expect((await http().get(`/volumes/${moving}`).expect(200)).body).toMatchObject({ status: 'ready', poolId: source, migration: null });
      expect((await http().get(`/pools/${source}`).expect(200)).body).toMatchObject({ status: 'enabled', maintenance: null });
    });

    it('POST /volumes/:id/migrate answers 202 and a job, and queues MigrateVolume keyed by the volume', async () => {
      const body = { destinationPoolId: destination, dataMoverHostId: mover };
      const res = await http().post(`/volumes/${moving}/migrate`).set('X-Correlation-Id', 'corr-mig').send(body).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), volumeId: moving });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'MigrateVolume', aggregateId: moving, tenant: null, correlationId: 'corr-mig', data: body });
      expect(commandKeys.get(res.body.jobId)).toBe(moving);
      expect((await http().get(`/jobs/${res.body.jobId}`).expect(200)).body).toMatchObject({ status: 'accepted', commandType: 'MigrateVolume', aggregateId: moving });
      // Without a body: allocation picks the destination.
      const bare = await http().post(`/volumes/${moving}/migrate`).expect(202);
      expect(await commandFor(bare.body.jobId)).toMatchObject({ type: 'MigrateVolume', aggregateId: moving, data: {} });
    });

    it('refuses a migration of an unknown volume, to an unknown pool, through an unknown host, by a tenant or with a bad body, queueing nothing', async () => {
      const before = await outboxCount();
      const unknown = randomUUID();
      expect((await http().post(`/volumes/${unknown}/migrate`).send({}).expect(404)).body).toEqual({
        statusCode: 404, code: 'volume.not_found', message: `volume ${unknown} does not exist`,
      });
      expect((await http().post(`/volumes/${moving}/migrate`).send({ destinationPoolId: unknown }).expect(404)).body).toEqual({
        statusCode: 404, code: 'pool.not_found', message: `pool ${unknown} does not exist`,
      });
      expect((await http().post(`/volumes/${moving}/migrate`).send({ dataMoverHostId: unknown }).expect(404)).body.code).toBe('host.not_found');
      const tenant = await http().post(`/volumes/${moving}/migrate`).set('authorization', acmeBearer()).send({});
      expect([tenant.status, tenant.body.code]).toEqual([403, 'auth.forbidden']);
      expect((await http().post(`/volumes/${moving}/migrate`).send({ allocationPolicy: 'random' }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'allocationPolicy', rule: 'isIn' }),
      ]);
      expect(await outboxCount()).toBe(before);
    });

    it('VolumeMigrationRequested, ...Progressed and VolumeMigrated move the volume to the destination, and its allocated bytes with it', async () => {
      const res = await http().post(`/volumes/${moving}/migrate`).send({ destinationPoolId: destination }).expect(202);
      const job = res.body.jobId;
      await emit('VolumeMigrationRequested', moving, 3, job, {
        volumeId: moving, poolId: source, toPoolId: destination, mode: 'copy', sourceBackendName: `vol-${moving}`, destinationBackendName: `vol-${moving}-m1`,
        sizeBytes: 10 * GiB, nativeTarget: null, dataMover: { hostId: mover, sourceBackendHost: mover, destinationBackendHost: mover }, allocation: null,
      }, 'acme');
      await jobStatus(job, 'running');
      expect(await where('migrating', `/volumes/${moving}`, (v) => v.status === 'migrating')).toMatchObject({
        poolId: source, backendName: `vol-${moving}`, migration: { toPoolId: destination, mode: 'copy', percent: null },
      });
      expect((await http().get('/volumes').query({ status: 'migrating', poolId: source }).expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([moving]);

      await emit('VolumeMigrationProgressed', moving, 4, job, { volumeId: moving, toPoolId: destination, copiedBytes: 4 * GiB, totalBytes: 10 * GiB, percent: 40 }, 'acme');
      await where('40 % copied', `/volumes/${moving}`, (v) => (v.migration as { percent?: number } | null)?.percent === 40);
      // Still counted where it lives until the switch.
      expect((await http().get(`/pools/${source}`).expect(200)).body).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });

      await emit('VolumeMigrated', moving, 5, job, {
        volumeId: moving, fromPoolId: source, toPoolId: destination, mode: 'copy', sourceBackendName: `vol-${moving}`,
        backendName: `vol-${moving}-m1`, sizeBytes: 10 * GiB, path: `/srv/mig-dst/vol-${moving}-m1`,
      }, 'acme');
      expect((await jobStatus(job, 'succeeded')).result).toEqual({
        volumeId: moving, fromPoolId: source, toPoolId: destination, mode: 'copy', backendName: `vol-${moving}-m1`, sizeBytes: 10 * GiB, path: `/srv/mig-dst/vol-${moving}-m1`,
      });
      expect((await http().get(`/volumes/${moving}`).expect(200)).body).toMatchObject({
        status: 'ready', poolId: destination, backendName: `vol-${moving}-m1`, path: `/srv/mig-dst/vol-${moving}-m1`, migration: null, lastError: null,
      });
      expect((await http().get(`/pools/${source}`).expect(200)).body).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
      expect((await http().get(`/pools/${destination}`).expect(200)).body).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
      expect((await http().get('/volumes').query({ poolId: destination }).expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([moving]);
      expect((await http().get('/volumes').query({ poolId: source }).expect(200)).body.items).toEqual([]);

      // The old copy's deletion is history only.
      await emit('VolumeMigrationSourceDeleted', moving, 6, job, { volumeId: moving, poolId: source, backendName: `vol-${moving}` }, 'acme');
      const history = await until('the source deletion in the history', async () => {
        const items = (await http().get(`/volumes/${moving}/events`)).body.items as Envelope[];
        return items.length === 6 ? items : undefined;
      });
      expect(history.map((e) => e.type)).toEqual([
        'VolumeCreationRequested', 'VolumeCreated', 'VolumeMigrationRequested', 'VolumeMigrationProgressed', 'VolumeMigrated', 'VolumeMigrationSourceDeleted',
      ]);
      expect((await http().get(`/volumes/${moving}`).expect(200)).body).toMatchObject({ status: 'ready', poolId: destination, lastError: null });
      expect((await http().get(`/pools/${destination}`).expect(200)).body).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
    });

    it('POST /pools/:id/maintenance answers 202 and a job; PoolMaintenanceRequested and ...Entered show on the pool', async () => {
      const res = await http().post(`/pools/${source}/maintenance`).send({ dataMoverHostId: mover }).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), poolId: source });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'EnterPoolMaintenance', aggregateId: source, tenant: null, data: { dataMoverHostId: mover } });
      expect(commandKeys.get(res.body.jobId)).toBe(source);
      const bare = await http().post(`/pools/${source}/maintenance`).expect(202);
      expect(await commandFor(bare.body.jobId)).toMatchObject({ type: 'EnterPoolMaintenance', aggregateId: source, data: {} });

      await emit('PoolMaintenanceRequested', source, 2, res.body.jobId, { poolId: source, previousStatus: 'enabled', moves: [], dataMoverHostId: mover });
      await jobStatus(res.body.jobId, 'running');
      expect(await where('entering maintenance', `/pools/${source}`, (p) => p.status === 'maintenance')).toMatchObject({
        maintenance: { phase: 'entering', error: null },
      });
      expect((await http().get('/pools').query({ status: 'maintenance', zoneId: 'zone-mig' }).expect(200)).body.items.map((p: { id: string }) => p.id)).toEqual([source]);
      await emit('PoolMaintenanceEntered', source, 3, res.body.jobId, { poolId: source });
      expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ poolId: source });
      expect((await http().get(`/pools/${source}`).expect(200)).body).toMatchObject({ status: 'maintenance', maintenance: { phase: 'in_maintenance', error: null } });
    });

    it('DELETE /pools/:id/maintenance answers 202 and a job; PoolMaintenanceCancelled restores the pool', async () => {
      const res = await http().delete(`/pools/${source}/maintenance`).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), poolId: source });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'CancelPoolMaintenance', aggregateId: source, data: {} });
      await emit('PoolMaintenanceCancelled', source, 4, res.body.jobId, { poolId: source, restoredStatus: 'enabled' });
      expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ poolId: source, restoredStatus: 'enabled' });
      expect((await http().get(`/pools/${source}`).expect(200)).body).toMatchObject({ status: 'enabled', maintenance: null });
      expect((await http().get(`/pools/${source}/events`).expect(200)).body.items.map((e: Envelope) => e.type)).toEqual([
        'StoragePoolAdded', 'PoolMaintenanceRequested', 'PoolMaintenanceEntered', 'PoolMaintenanceCancelled',
      ]);
    });

    it('a failed maintenance shows the reason on the pool and fails the job', async () => {
      const res = await http().post(`/pools/${destination}/maintenance`).expect(202);
      await emit('PoolMaintenanceRequested', destination, 2, res.body.jobId, { poolId: destination, previousStatus: 'enabled', moves: [{ volumeId: moving, destinationPoolId: source, mode: 'copy' }], dataMoverHostId: null });
      const error = { code: 'backend.unavailable', category: 'backend', message: 'copy failed' };
      await emit('PoolMaintenanceFailed', destination, 3, res.body.jobId, { poolId: destination, volumeId: moving, error });
      expect((await jobStatus(res.body.jobId, 'failed')).error).toEqual({ ...error, violations: [], details: { poolId: destination, volumeId: moving } });
      expect((await http().get(`/pools/${destination}`).expect(200)).body).toMatchObject({
        status: 'maintenance', maintenance: { phase: 'failed', error: { ...error, volumeId: moving } },
      });
    });

    it("a move a pool's maintenance makes (caused by an id derived from it, not a command) moves the bytes back and makes no job", async () => {
      // As the storage service names a maintenance's moves: a name-based UUID (version 5).
      const cause = randomUUID().replace(/^(.{14})4/, '$15');
      await emit('VolumeMigrationRequested', moving, 7, cause, {
        volumeId: moving, poolId: destination, toPoolId: source, mode: 'native', sourceBackendName: `vol-${moving}-m1`, destinationBackendName: `vol-${moving}-m1`,
        sizeBytes: 10 * GiB, nativeTarget: 'mig-src', dataMover: null, allocation: null,
      }, 'acme');
      await emit('VolumeMigrated', moving, 8, cause, {
        volumeId: moving, fromPoolId: destination, toPoolId: source, mode: 'native', sourceBackendName: `vol-${moving}-m1`,
        backendName: `vol-${moving}-m1`, sizeBytes: 10 * GiB, path: null,
      }, 'acme');
      await where('moved back', `/volumes/${moving}`, (v) => v.poolId === source && v.status === 'ready');
      expect((await http().get(`/pools/${source}`).expect(200)).body).toMatchObject({ allocatedBytes: 10 * GiB, volumeCount: 1 });
      expect((await http().get(`/pools/${destination}`).expect(200)).body).toMatchObject({ allocatedBytes: 0, volumeCount: 0 });
      expect((await http().get(`/jobs/${cause}`).expect(404)).body.code).toBe('job.not_found');
    });

    it('refuses maintenance of an unknown pool, through an unknown host, or by a tenant, queueing nothing', async () => {
      const before = await outboxCount();
      const unknown = randomUUID();
      for (const res of [await http().post(`/pools/${unknown}/maintenance`).send({}), await http().delete(`/pools/${unknown}/maintenance`)]) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ statusCode: 404, code: 'pool.not_found', message: `pool ${unknown} does not exist` });
      }
      expect((await http().post(`/pools/${source}/maintenance`).send({ dataMoverHostId: unknown }).expect(404)).body.code).toBe('host.not_found');
      for (const req of [http().post(`/pools/${source}/maintenance`), http().delete(`/pools/${source}/maintenance`)]) {
        const res = await req.set('authorization', acmeBearer());
        expect([res.status, res.body.code]).toEqual([403, 'auth.forbidden']);
      }
      expect((await http().post(`/pools/${source}/maintenance`).send({ dataMoverHostId: 'mover-01' }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'dataMoverHostId', rule: 'isUuid' }),
      ]);
      expect(await outboxCount()).toBe(before);
    });

    it('documents the three endpoints and the new view fields', async () => {
      const doc = (await http().get('/docs-json').expect(200)).body;
      for (const [path, method] of [['/volumes/{id}/migrate', 'post'], ['/pools/{id}/maintenance', 'post'], ['/pools/{id}/maintenance', 'delete']]) {
        expect([path, method, doc.paths[path]?.[method]?.responses['202'], doc.paths[path]?.[method]?.responses['404']]).toEqual([path, method, expect.anything(), expect.anything()]);
      }
      expect(Object.keys(doc.components.schemas.MigrateVolumeRequest.properties)).toEqual(['destinationPoolId', 'allocationPolicy', 'dataMoverHostId']);
      expect(Object.keys(doc.components.schemas.VolumeView.properties)).toContain('migration');
      expect(Object.keys(doc.components.schemas.PoolView.properties)).toContain('maintenance');
      expect(doc.components.schemas.VolumeView.properties.status.enum).toContain('migrating');
      expect(doc.components.schemas.PoolView.properties.status.enum).toContain('maintenance');
    });
  });

  describe('deferred creation', () => {
    const where = (what: string, path: string, check: (body: Record<string, unknown>) => boolean) =>
      until(what, async () => {
        const res = await http().get(path);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      });

    it('POST /volumes with deferCreation: VolumeAllocated shows the volume allocated and reserves its space; the first attach makes it, counted once, under the attach job', async () => {
      const [pool, host] = [randomUUID(), randomUUID()];
      await emit('StoragePoolAdded', pool, 1, null, {
        poolId: pool, name: 'lazy-01', plugin: 'file', zoneId: 'zone-lazy', clusterId: null, tags: [], config: { path: '/srv/lazy' }, capacityBytes: 100 * GiB, usedBytes: 0,
      });
      await emit('HostRegistered', host, 1, null, { hostId: host, name: 'lazy-kvm', zoneId: 'zone-lazy', clusterId: null, hypervisor: 'kvm', identities: {} });
      await where('lazy host', `/hosts/${host}`, (h) => h.status === 'registered');

      const body = { name: 'lazy-1', sizeBytes: 4 * GiB, poolId: pool, deferCreation: true };
      const create = await http().post('/volumes').set('X-Tenant', 'acme').send(body).expect(202);
      const volume = create.body.volumeId as string;
      expect(await commandFor(create.body.jobId)).toMatchObject({ type: 'CreateVolume', aggregateId: volume, data: body });

      const backendName = `vol-${volume}`;
      const placement = { volumeId: volume, name: 'lazy-1', poolId: pool, sizeBytes: 4 * GiB, volumeType: 'DATA', backendName, provisioning: 'thin', qos: null };
      await emit('VolumeAllocated', volume, 1, create.body.jobId, { ...placement, allocation: null }, 'acme');
      expect((await jobStatus(create.body.jobId, 'succeeded')).result).toEqual({ volumeId: volume, poolId: pool, sizeBytes: 4 * GiB, backendName, path: null });
      expect(await where('volume allocated', `/volumes/${volume}`, (v) => v.status === 'allocated')).toMatchObject({ poolId: pool, sizeBytes: 4 * GiB, backendName, path: null });
      expect((await http().get('/volumes').query({ status: 'allocated', poolId: pool }).expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([volume]);
      await where('pool holding the allocated volume', `/pools/${pool}`, (p) => p.allocatedBytes === 4 * GiB && p.volumeCount === 1);

      const attach = await http().post(`/volumes/${volume}/attach`).set('X-Tenant', 'acme').send({ hostId: host }).expect(202);
      await emit('VolumeCreationRequested', volume, 2, attach.body.jobId, { ...placement, allocation: null }, 'acme');
      await emit('VolumeCreated', volume, 3, attach.body.jobId, { volumeId: volume, poolId: pool, backendName, sizeBytes: 4 * GiB, path: `/srv/lazy/${backendName}` }, 'acme');
      await where('volume made', `/volumes/${volume}`, (v) => v.status === 'ready');
      // The creation the attach caused is under way for the attach, but does not end its job.
      expect((await http().get(`/jobs/${attach.body.jobId}`).expect(200)).body).toMatchObject({ status: 'running', commandType: 'AttachVolume', result: null });
      expect((await http().get(`/pools/${pool}`).expect(200)).body).toMatchObject({ allocatedBytes: 4 * GiB, volumeCount: 1 });

      await emit('VolumeAttachRequested', volume, 4, attach.body.jobId, { volumeId: volume, hostId: host, backendHost: host }, 'acme');
      await emit('VolumeAttached', volume, 5, attach.body.jobId, { volumeId: volume, hostId: host, devicePath: `/srv/lazy/${backendName}` }, 'acme');
      expect((await jobStatus(attach.body.jobId, 'succeeded')).result).toEqual({ volumeId: volume, hostId: host, devicePath: `/srv/lazy/${backendName}` });
      expect(await where('volume attached', `/volumes/${volume}`, (v) => v.status === 'attached')).toMatchObject({ path: `/srv/lazy/${backendName}`, attachments: [{ hostId: host }] });
      expect((await http().get(`/pools/${pool}`).expect(200)).body).toMatchObject({ allocatedBytes: 4 * GiB, volumeCount: 1 });
      expect((await http().get(`/jobs/${create.body.jobId}`).expect(200)).body).toMatchObject({ status: 'succeeded', commandType: 'CreateVolume' });
      expect((await http().get(`/volumes/${volume}/events`).expect(200)).body.items.map((e: { type: string }) => e.type)).toEqual([
        'VolumeAllocated', 'VolumeCreationRequested', 'VolumeCreated', 'VolumeAttachRequested', 'VolumeAttached',
      ]);
    });

    it('documents deferCreation and the allocated status', async () => {
      const doc = (await http().get('/docs-json').expect(200)).body;
      expect(doc.components.schemas.CreateVolumeRequest.properties.deferCreation).toMatchObject({ type: 'boolean', description: expect.stringContaining('first attach') });
      expect(doc.components.schemas.VolumeView.properties.status.enum).toContain('allocated');
    });
  });

  describe('volume snapshots', () => {
    const pool = randomUUID();
    const volume = randomUUID();
    let snapshotId: string;
    let createJob: string;
    const where = (what: string, path: string, check: (body: Record<string, unknown>) => boolean, tenant = 'acme') =>
      until(what, async () => {
        const res = await http().get(path).set('X-Tenant', tenant);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      });
    const outboxCount = async () => Number((await app.get(DataSource).query(`SELECT count(*)::int AS n FROM orchestrator.outbox`))[0].n);

    it("sets up acme's ready volume on a pool (published as the storage service would)", async () => {
      await emit('StoragePoolAdded', pool, 1, null, {
        poolId: pool, name: 'snap-01', plugin: 'file', zoneId: 'zone-snap', clusterId: null, tags: [], config: { path: '/srv/snap' }, capacityBytes: 100 * GiB, usedBytes: 0,
      });
      const backendName = `vol-${volume}`;
      await emit('VolumeCreationRequested', volume, 1, null, { volumeId: volume, name: 'snap-me', poolId: pool, sizeBytes: 2 * GiB, volumeType: 'DATA', backendName }, 'acme');
      await emit('VolumeCreated', volume, 2, null, { volumeId: volume, poolId: pool, backendName, sizeBytes: 2 * GiB, path: `/srv/snap/${backendName}` }, 'acme');
      await where('volume ready', `/volumes/${volume}`, (v) => v.status === 'ready');
    });

    it('POST /volumes/:id/snapshots answers 202 with a job and the new snapshot id, and queues CreateSnapshot on the snapshot commands topic', async () => {
      const res = await http().post(`/volumes/${volume}/snapshots`).set('X-Tenant', 'acme').set('X-Correlation-Id', 'corr-snap-1').send({ name: 'before-upgrade' }).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), snapshotId: expect.any(String) });
      ({ jobId: createJob, snapshotId } = res.body);
      expect((await http().get(`/jobs/${createJob}`).set('X-Tenant', 'acme').expect(200)).body).toMatchObject({ status: 'accepted', commandType: 'CreateSnapshot', aggregateId: snapshotId });
      expect(await commandFor(createJob)).toEqual({
        messageId: createJob,
        kind: 'command',
        type: 'CreateSnapshot',
        schemaVersion: 1,
        aggregateId: snapshotId,
        streamVersion: null,
        occurredAt: expect.any(String),
        correlationId: 'corr-snap-1',
        causationId: null,
        tenant: 'acme',
        data: { name: 'before-upgrade', volumeId: volume },
      });
      expect(commandTopics.get(createJob)).toBe(topics.snapshotCommands);
      expect(commandKeys.get(createJob)).toBe(snapshotId);
    });

    it('SnapshotRequested then SnapshotCreated on the snapshot events topic show the snapshot ready and end the job', async () => {
      const requested = { snapshotId, volumeId: volume, name: 'before-upgrade', poolId: pool, volumeBackendName: `vol-${volume}`, backendName: `snap-${snapshotId}`, policyId: null, dueAt: null };
      await emitSnapshotEvent('SnapshotRequested', snapshotId, 1, createJob, requested, 'acme');
      expect(await where('snapshot creating', `/snapshots/${snapshotId}`, (s) => s.status === 'creating')).toMatchObject({ sizeBytes: null, volumeId: volume });
      expect((await http().get(`/jobs/${createJob}`).expect(200)).body.status).toBe('running');
      const created = await emitSnapshotEvent('SnapshotCreated', snapshotId, 2, createJob, { snapshotId, volumeId: volume, sizeBytes: 2 * GiB }, 'acme');
      const job = await jobStatus(createJob, 'succeeded');
      expect(job.result).toEqual({ snapshotId, volumeId: volume, sizeBytes: 2 * GiB });
      // The same event delivered again is projected once.
      await bus.publish([{ topic: topics.snapshotEvents, key: snapshotId, value: JSON.stringify(created) }]);

      const snapshot = (await http().get(`/snapshots/${snapshotId}`).set('X-Tenant', 'acme').expect(200)).body;
      expect(snapshot).toEqual({
        id: snapshotId,
        volumeId: volume,
        name: 'before-upgrade',
        poolId: pool,
        tenant: 'acme',
        status: 'ready',
        backendName: `snap-${snapshotId}`,
        sizeBytes: 2 * GiB,
        backup: false,
        policyId: null,
        dueAt: null,
        lastError: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const ids = (body: { items: { id: string }[] }) => body.items.map((s) => s.id);
      expect(ids((await http().get('/snapshots').query({ volumeId: volume }).expect(200)).body)).toEqual([snapshotId]);
      expect(ids((await http().get('/snapshots').query({ volumeId: volume, status: 'ready' }).set('X-Tenant', 'acme').expect(200)).body)).toEqual([snapshotId]);
      expect(ids((await http().get('/snapshots').query({ volumeId: volume, status: 'creating' }).expect(200)).body)).toEqual([]);
      expect(ids((await http().get(`/volumes/${volume}/snapshots`).set('X-Tenant', 'acme').expect(200)).body)).toEqual([snapshotId]);
      expect((await http().get(`/snapshots/${snapshotId}/events`).expect(200)).body.items.map((e: Envelope) => [e.streamVersion, e.type])).toEqual([
        [1, 'SnapshotRequested'],
        [2, 'SnapshotCreated'],
      ]);
    });

    it('keeps tenants apart', async () => {
      await http().get(`/snapshots/${snapshotId}`).set('X-Tenant', 'globex').expect(404);
      expect((await http().get('/snapshots').set('X-Tenant', 'globex').expect(200)).body.items).toEqual([]);
      await http().get(`/volumes/${volume}/snapshots`).set('X-Tenant', 'globex').expect(404);
      await http().delete(`/snapshots/${snapshotId}`).set('X-Tenant', 'globex').expect(404);
    });

    it('POST /snapshots/:id/revert answers 202 and queues RevertToSnapshot; SnapshotRevertRequested and SnapshotReverted move the snapshot and end the job', async () => {
      const res = await http().post(`/snapshots/${snapshotId}/revert`).set('X-Tenant', 'acme').expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), snapshotId });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'RevertToSnapshot', aggregateId: snapshotId, tenant: 'acme', data: {} });
      expect(commandTopics.get(res.body.jobId)).toBe(topics.snapshotCommands);
      await emitSnapshotEvent('SnapshotRevertRequested', snapshotId, 3, res.body.jobId, { snapshotId, volumeId: volume }, 'acme');
      await where('snapshot reverting', `/snapshots/${snapshotId}`, (s) => s.status === 'reverting');
      await emitSnapshotEvent('SnapshotReverted', snapshotId, 4, res.body.jobId, { snapshotId, volumeId: volume }, 'acme');
      expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ snapshotId, volumeId: volume });
      await where('snapshot ready again', `/snapshots/${snapshotId}`, (s) => s.status === 'ready');
    });

    it('a CommandRejected on the snapshot events topic fails the snapshot job with the reason', async () => {
      const res = await http().post(`/volumes/${volume}/snapshots`).set('X-Tenant', 'acme').send({ name: 'too-many' }).expect(202);
      await emitSnapshotEvent('CommandRejected', res.body.snapshotId, 1, res.body.jobId, {
        commandId: res.body.jobId,
        commandType: 'CreateSnapshot',
        aggregateId: res.body.snapshotId,
        error: { code: 'snapshot.limit_reached', category: 'capacity', message: 'the tree holds its maximum of snapshots' },
        violations: [],
        details: { volumeId: volume },
      }, 'acme');
      const job = await jobStatus(res.body.jobId, 'failed');
      expect(job.error).toEqual({ code: 'snapshot.limit_reached', category: 'capacity', message: 'the tree holds its maximum of snapshots', violations: [], details: { volumeId: volume } });
      await http().get(`/snapshots/${res.body.snapshotId}`).expect(404);
    });

    it('DELETE /volumes/:id passes deleteSnapshots=true to DeleteVolume; without it volume.has_snapshots fails the job with the snapshots', async () => {
      const refused = await http().delete(`/volumes/${volume}`).set('X-Tenant', 'acme').expect(202);
      expect(await commandFor(refused.body.jobId)).toMatchObject({ type: 'DeleteVolume', aggregateId: volume, data: {} });
      expect(commandTopics.get(refused.body.jobId)).toBe(topics.storageCommands);
      await emit('CommandRejected', volume, 1, refused.body.jobId, {
        commandId: refused.body.jobId,
        commandType: 'DeleteVolume',
        aggregateId: volume,
        error: { code: 'volume.has_snapshots', category: 'illegal_state', message: `volume ${volume} has 1 snapshot(s)` },
        violations: [{ field: 'data.deleteSnapshots', rule: 'requiredWithSnapshots', message: 'deleteSnapshots must be true to delete a volume that has snapshots' }],
        details: { volumeId: volume, snapshots: [`snap-${snapshotId}`] },
      }, 'acme');
      expect((await jobStatus(refused.body.jobId, 'failed')).error).toMatchObject({ code: 'volume.has_snapshots', details: { snapshots: [`snap-${snapshotId}`] } });

      const before = await outboxCount();
      expect((await http().delete(`/volumes/${volume}`).query({ deleteSnapshots: 'yes' }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'deleteSnapshots', rule: 'isIn' }),
      ]);
      expect(await outboxCount()).toBe(before);
      const res = await http().delete(`/volumes/${volume}`).query({ deleteSnapshots: 'true' }).set('X-Tenant', 'acme').expect(202);
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'DeleteVolume', aggregateId: volume, data: { deleteSnapshots: true } });
    });

    it('DELETE /snapshots/:id answers 202 and queues DeleteSnapshot; SnapshotDeleted hides the snapshot, listed only when asked, and a second delete is 409', async () => {
      const res = await http().delete(`/snapshots/${snapshotId}`).set('X-Tenant', 'acme').expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), snapshotId });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'DeleteSnapshot', aggregateId: snapshotId, data: {} });
      expect(commandTopics.get(res.body.jobId)).toBe(topics.snapshotCommands);
      await emitSnapshotEvent('SnapshotDeletionRequested', snapshotId, 5, res.body.jobId, { snapshotId, volumeId: volume }, 'acme');
      await emitSnapshotEvent('SnapshotDeleted', snapshotId, 6, res.body.jobId, { snapshotId, volumeId: volume }, 'acme');
      await jobStatus(res.body.jobId, 'succeeded');
      await where('snapshot deleted', `/snapshots/${snapshotId}`, (s) => s.status === 'deleted');
      expect((await http().get(`/volumes/${volume}/snapshots`).expect(200)).body.items).toEqual([]);
      expect((await http().get(`/volumes/${volume}/snapshots`).query({ status: 'deleted' }).expect(200)).body.items.map((s: { id: string }) => s.id)).toEqual([snapshotId]);
      expect((await http().delete(`/snapshots/${snapshotId}`).expect(409)).body).toEqual({
        statusCode: 409,
        code: 'snapshot.already_deleted',
        message: `snapshot ${snapshotId} is already deleted`,
      });
    });

    it('answers 404 for an unknown volume or snapshot and 400 for a bad body, queueing nothing', async () => {
      const unknown = randomUUID();
      const before = await outboxCount();
      expect((await http().post(`/volumes/${unknown}/snapshots`).send({ name: 's' }).expect(404)).body).toEqual({
        statusCode: 404,
        code: 'volume.not_found',
        message: `volume ${unknown} does not exist`,
      });
      expect((await http().get(`/volumes/${unknown}/snapshots`).expect(404)).body.code).toBe('volume.not_found');
      expect((await http().get(`/snapshots/${unknown}`).expect(404)).body).toEqual({ statusCode: 404, code: 'snapshot.not_found', message: `snapshot ${unknown} does not exist` });
      expect((await http().delete(`/snapshots/${unknown}`).expect(404)).body.code).toBe('snapshot.not_found');
      expect((await http().post(`/snapshots/${unknown}/revert`).expect(404)).body.code).toBe('snapshot.not_found');
      expect((await http().post(`/volumes/${volume}/snapshots`).send({ name: '-bad', colour: 'red' }).expect(400)).body.violations.map((v: { field: string; rule: string }) => [v.field, v.rule])).toEqual(
        expect.arrayContaining([['name', 'matches'], ['colour', 'whitelistValidation']]),
      );
      expect((await http().get('/snapshots').query({ status: 'gone' }).expect(400)).body.code).toBe('request.invalid');
      expect((await http().get('/snapshots/nope').expect(400)).body.violations).toEqual([{ field: 'id', rule: 'isUuid', message: 'id must be a UUID' }]);
      expect(await outboxCount()).toBe(before);
    });

    it('documents the snapshot endpoints and the snapshot view', async () => {
      const doc = (await http().get('/docs-json').expect(200)).body;
      for (const [path, method, status] of [
        ['/volumes/{id}/snapshots', 'post', '202'], ['/volumes/{id}/snapshots', 'get', '200'], ['/snapshots', 'get', '200'], ['/snapshots/{id}', 'get', '200'],
        ['/snapshots/{id}', 'delete', '202'], ['/snapshots/{id}/revert', 'post', '202'], ['/snapshots/{id}/events', 'get', '200'],
      ]) {
        expect([path, method, doc.paths[path]?.[method]?.responses[status]]).toEqual([path, method, expect.anything()]);
      }
      expect(doc.paths['/volumes/{id}'].delete.parameters.map((p: { name: string }) => p.name)).toContain('deleteSnapshots');
      expect(Object.keys(doc.components.schemas.SnapshotView.properties)).toEqual(
        expect.arrayContaining(['id', 'volumeId', 'name', 'poolId', 'status', 'backendName', 'sizeBytes', 'policyId', 'dueAt', 'lastError']),
      );
      expect(doc.components.schemas.SnapshotView.properties.status.enum).toEqual(['creating', 'ready', 'reverting', 'error', 'deleting', 'deleted']);
      expect(Object.keys(doc.components.schemas.SnapshotAccepted.properties)).toEqual(['jobId', 'snapshotId']);
    });
  });

  describe('snapshot policies', () => {
    const pool = randomUUID();
    const volume = randomUUID();
    const schedule = { kind: 'daily', time: '02:30', timeZone: 'Europe/Berlin' };
    let policyId: string;
    let createJob: string;
    const where = (what: string, path: string, check: (body: Record<string, unknown>) => boolean, tenant = 'acme') =>
      until(what, async () => {
        const res = await http().get(path).set('X-Tenant', tenant);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      });
    const outboxCount = async () => Number((await app.get(DataSource).query(`SELECT count(*)::int AS n FROM orchestrator.outbox`))[0].n);
    const ids = (body: { items: { id: string }[] }) => body.items.map((p) => p.id);

    it("sets up acme's ready volume on a pool (published as the storage service would)", async () => {
      await emit('StoragePoolAdded', pool, 1, null, {
        poolId: pool, name: 'policy-01', plugin: 'file', zoneId: 'zone-policy', clusterId: null, tags: [], config: { path: '/srv/policy' }, capacityBytes: 100 * GiB, usedBytes: 0,
      });
      const backendName = `vol-${volume}`;
      await emit('VolumeCreationRequested', volume, 1, null, { volumeId: volume, name: 'scheduled', poolId: pool, sizeBytes: 2 * GiB, volumeType: 'DATA', backendName }, 'acme');
      await emit('VolumeCreated', volume, 2, null, { volumeId: volume, poolId: pool, backendName, sizeBytes: 2 * GiB, path: `/srv/policy/${backendName}` }, 'acme');
      await where('volume ready', `/volumes/${volume}`, (v) => v.status === 'ready');
    });

    it('POST /volumes/:id/snapshot-policies answers 202 with a job and the new policy id, and queues CreateSnapshotPolicy on the snapshot commands topic', async () => {
      const res = await http()
        .post(`/volumes/${volume}/snapshot-policies`)
        .set('X-Tenant', 'acme')
        .set('X-Correlation-Id', 'corr-policy-1')
        .send({ schedule, retention: 7 })
        .expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), policyId: expect.any(String) });
      ({ jobId: createJob, policyId } = res.body);
      expect((await http().get(`/jobs/${createJob}`).set('X-Tenant', 'acme').expect(200)).body).toMatchObject({
        status: 'accepted',
        commandType: 'CreateSnapshotPolicy',
        aggregateId: policyId,
      });
      expect(await commandFor(createJob)).toEqual({
        messageId: createJob,
        kind: 'command',
        type: 'CreateSnapshotPolicy',
        schemaVersion: 1,
        aggregateId: policyId,
        streamVersion: null,
        occurredAt: expect.any(String),
        correlationId: 'corr-policy-1',
        causationId: null,
        tenant: 'acme',
        data: { schedule, retention: 7, volumeId: volume },
      });
      expect(commandTopics.get(createJob)).toBe(topics.snapshotCommands);
      expect(commandKeys.get(createJob)).toBe(policyId);
    });

    it('SnapshotPolicyCreated ends the job and lists the policy; SnapshotPolicyRunTaken shows the last run and its snapshot', async () => {
      const createdAt = new Date().toISOString();
      await emitSnapshotEvent('SnapshotPolicyCreated', policyId, 1, createJob, { policyId, volumeId: volume, schedule, retention: 7, createdAt }, 'acme');
      expect((await jobStatus(createJob, 'succeeded')).result).toEqual({ policyId, volumeId: volume });
      expect(await where('policy active', `/snapshot-policies/${policyId}`, (p) => p.status === 'active')).toEqual({
        id: policyId,
        volumeId: volume,
        tenant: 'acme',
        schedule,
        retention: 7,
        status: 'active',
        lastRunDueAt: null,
        lastSnapshotId: null,
        createdAt,
        updatedAt: expect.any(String),
      });

      // The scheduler's own work: caused by the policy (no command), with no tenant.
      const dueAt = '2026-11-22T01:30:00.000Z';
      const snapshotId = randomUUID();
      await emitSnapshotEvent('SnapshotPolicyRunTaken', policyId, 2, `policy:${policyId}`, { policyId, volumeId: volume, dueAt, snapshotId }, null);
      const policy = await where('policy ran', `/snapshot-policies/${policyId}`, (p) => p.lastRunDueAt !== null);
      expect(policy).toMatchObject({ status: 'active', tenant: 'acme', lastRunDueAt: dueAt, lastSnapshotId: snapshotId });
      expect((await app.get(DataSource).query(`SELECT last_run_due_at FROM orchestrator.snapshot_policies WHERE policy_id = $1`, [policyId]))[0].last_run_due_at).toEqual(
        new Date(dueAt),
      );

      expect(ids((await http().get('/snapshot-policies').query({ volumeId: volume }).expect(200)).body)).toEqual([policyId]);
      expect(ids((await http().get('/snapshot-policies').query({ volumeId: volume, status: 'active' }).set('X-Tenant', 'acme').expect(200)).body)).toEqual([policyId]);
      expect(ids((await http().get('/snapshot-policies').query({ volumeId: volume, status: 'deleted' }).expect(200)).body)).toEqual([]);
      expect(ids((await http().get(`/volumes/${volume}/snapshot-policies`).set('X-Tenant', 'acme').expect(200)).body)).toEqual([policyId]);
      expect((await http().get(`/snapshot-policies/${policyId}/events`).expect(200)).body.items.map((e: Envelope) => [e.streamVersion, e.type])).toEqual([
        [1, 'SnapshotPolicyCreated'],
        [2, 'SnapshotPolicyRunTaken'],
      ]);
    });

    it('keeps tenants apart', async () => {
      await http().get(`/snapshot-policies/${policyId}`).set('X-Tenant', 'globex').expect(404);
      expect((await http().get('/snapshot-policies').set('X-Tenant', 'globex').expect(200)).body.items).toEqual([]);
      await http().get(`/volumes/${volume}/snapshot-policies`).set('X-Tenant', 'globex').expect(404);
      await http().post(`/volumes/${volume}/snapshot-policies`).set('X-Tenant', 'globex').send({ schedule, retention: 1 }).expect(404);
      await http().delete(`/snapshot-policies/${policyId}`).set('X-Tenant', 'globex').expect(404);
    });

    it('a schedule the snapshot service refuses fails the job with policy.invalid_schedule and its violations', async () => {
      const res = await http().post(`/volumes/${volume}/snapshot-policies`).set('X-Tenant', 'acme').send({ schedule: { kind: 'daily', time: '25:00', timeZone: 'Mars/Olympus' }, retention: 3 }).expect(202);
      const violations = [
        { field: 'data.schedule.timeZone', rule: 'isTimeZone', message: 'data.schedule.timeZone must be an IANA time zone name' },
        { field: 'data.schedule.time', rule: 'matches', message: 'data.schedule.time must be HH:MM' },
      ];
      await emitSnapshotEvent('CommandRejected', res.body.policyId, 1, res.body.jobId, {
        commandId: res.body.jobId,
        commandType: 'CreateSnapshotPolicy',
        aggregateId: res.body.policyId,
        error: { code: 'policy.invalid_schedule', category: 'validation', message: 'invalid snapshot policy' },
        violations,
      }, 'acme');
      expect((await jobStatus(res.body.jobId, 'failed')).error).toEqual({ code: 'policy.invalid_schedule', category: 'validation', message: 'invalid snapshot policy', violations });
      await http().get(`/snapshot-policies/${res.body.policyId}`).expect(404);
    });

    it('DELETE /snapshot-policies/:id answers 202 and queues DeleteSnapshotPolicy; SnapshotPolicyDeleted hides the policy, listed only when asked, and a second delete is 409', async () => {
      const res = await http().delete(`/snapshot-policies/${policyId}`).set('X-Tenant', 'acme').expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), policyId });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'DeleteSnapshotPolicy', aggregateId: policyId, tenant: 'acme', data: {} });
      expect(commandTopics.get(res.body.jobId)).toBe(topics.snapshotCommands);
      expect(commandKeys.get(res.body.jobId)).toBe(policyId);
      await emitSnapshotEvent('SnapshotPolicyDeleted', policyId, 3, res.body.jobId, { policyId, volumeId: volume }, 'acme');
      expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ policyId, volumeId: volume });
      expect(await where('policy deleted', `/snapshot-policies/${policyId}`, (p) => p.status === 'deleted')).toMatchObject({ lastRunDueAt: '2026-11-22T01:30:00.000Z' });
      expect((await http().get(`/volumes/${volume}/snapshot-policies`).expect(200)).body.items).toEqual([]);
      expect(ids((await http().get(`/volumes/${volume}/snapshot-policies`).query({ status: 'deleted' }).expect(200)).body)).toEqual([policyId]);
      expect((await http().delete(`/snapshot-policies/${policyId}`).expect(409)).body).toEqual({
        statusCode: 409,
        code: 'snapshot_policy.already_deleted',
        message: `snapshot policy ${policyId} is already deleted`,
      });
    });

    it('answers 404 for an unknown volume or policy and 400 for a bad body or id, queueing nothing', async () => {
      const unknown = randomUUID();
      const before = await outboxCount();
      expect((await http().post(`/volumes/${unknown}/snapshot-policies`).send({ schedule, retention: 1 }).expect(404)).body).toEqual({
        statusCode: 404,
        code: 'volume.not_found',
        message: `volume ${unknown} does not exist`,
      });
      expect((await http().get(`/volumes/${unknown}/snapshot-policies`).expect(404)).body.code).toBe('volume.not_found');
      expect((await http().get(`/snapshot-policies/${unknown}`).expect(404)).body).toEqual({
        statusCode: 404,
        code: 'snapshot_policy.not_found',
        message: `snapshot policy ${unknown} does not exist`,
      });
      expect((await http().get(`/snapshot-policies/${unknown}/events`).expect(404)).body.code).toBe('snapshot_policy.not_found');
      expect((await http().delete(`/snapshot-policies/${unknown}`).expect(404)).body.code).toBe('snapshot_policy.not_found');
      expect(
        (await http().post(`/volumes/${volume}/snapshot-policies`).send({ schedule: 'nightly', retention: 0, volumeId: volume }).expect(400)).body.violations.map(
          (v: { field: string; rule: string }) => [v.field, v.rule],
        ),
      ).toEqual(expect.arrayContaining([['schedule', 'isObject'], ['retention', 'min'], ['volumeId', 'whitelistValidation']]));
      expect((await http().get('/snapshot-policies').query({ status: 'paused' }).expect(400)).body.code).toBe('request.invalid');
      expect((await http().get('/snapshot-policies/nope').expect(400)).body.violations).toEqual([{ field: 'id', rule: 'isUuid', message: 'id must be a UUID' }]);
      expect(await outboxCount()).toBe(before);
    });

    it('documents the policy endpoints, the four schedule shapes with an example, and the policy view', async () => {
      const doc = (await http().get('/docs-json').expect(200)).body;
      for (const [path, method, status] of [
        ['/volumes/{id}/snapshot-policies', 'post', '202'], ['/volumes/{id}/snapshot-policies', 'get', '200'], ['/snapshot-policies', 'get', '200'],
        ['/snapshot-policies/{id}', 'get', '200'], ['/snapshot-policies/{id}', 'delete', '202'], ['/snapshot-policies/{id}/events', 'get', '200'],
      ]) {
        expect([path, method, doc.paths[path]?.[method]?.responses[status]]).toEqual([path, method, expect.anything()]);
      }
      const schedule = doc.components.schemas.CreateSnapshotPolicyRequest.properties.schedule;
      expect(schedule.oneOf.map((s: { $ref: string }) => s.$ref)).toEqual([
        '#/components/schemas/HourlyScheduleRequest', '#/components/schemas/DailyScheduleRequest',
        '#/components/schemas/WeeklyScheduleRequest', '#/components/schemas/MonthlyScheduleRequest',
      ]);
      expect(schedule.example).toEqual({ kind: 'daily', time: '02:30', timeZone: 'Europe/Berlin' });
      expect(Object.keys(doc.components.schemas.MonthlyScheduleRequest.properties)).toEqual(['kind', 'dayOfMonth', 'time', 'timeZone']);
      expect(Object.keys(doc.components.schemas.SnapshotPolicyView.properties)).toEqual(
        expect.arrayContaining(['id', 'volumeId', 'tenant', 'schedule', 'retention', 'status', 'lastRunDueAt', 'lastSnapshotId', 'createdAt', 'updatedAt']),
      );
      expect(Object.keys(doc.components.schemas.SnapshotPolicyAccepted.properties)).toEqual(['jobId', 'policyId']);
    });
  });

  describe('VM snapshots', () => {
    const pool = randomUUID();
    const volumeA = randomUUID();
    const volumeB = randomUUID();
    const globexVolume = randomUUID();
    const vmId = `vm-${randomUUID()}`;
    let vmSnapshotId: string;
    let createJob: string;
    const where = (what: string, path: string, check: (body: Record<string, unknown>) => boolean, tenant = 'acme') =>
      until(what, async () => {
        const res = await http().get(path).set('X-Tenant', tenant);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      });
    const outboxCount = async () => Number((await app.get(DataSource).query(`SELECT count(*)::int AS n FROM orchestrator.outbox`))[0].n);
    const members = () => [volumeA, volumeB].map((volumeId) => ({ volumeId, poolId: pool, volumeBackendName: `vol-${volumeId}`, snapshotBackendName: `vol-${volumeId}@vms-${vmSnapshotId}` }));

    it("sets up acme's two ready volumes and globex's one on a pool (published as the storage service would)", async () => {
      await emit('StoragePoolAdded', pool, 1, null, {
        poolId: pool, name: 'vms-01', plugin: 'file', zoneId: 'zone-vms', clusterId: null, tags: [], config: { path: '/srv/vms' }, capacityBytes: 100 * GiB, usedBytes: 0,
      });
      for (const [volume, tenant] of [[volumeA, 'acme'], [volumeB, 'acme'], [globexVolume, 'globex']] as const) {
        const backendName = `vol-${volume}`;
        await emit('VolumeCreationRequested', volume, 1, null, { volumeId: volume, name: 'vm-disk', poolId: pool, sizeBytes: GiB, volumeType: 'DATA', backendName }, tenant);
        await emit('VolumeCreated', volume, 2, null, { volumeId: volume, poolId: pool, backendName, sizeBytes: GiB, path: `/srv/vms/${backendName}` }, tenant);
        await where('volume ready', `/volumes/${volume}`, (v) => v.status === 'ready', tenant);
      }
    });

    it('POST /vm-snapshots answers 202 with a job and the new VM snapshot id, and queues CreateVmSnapshot on the snapshot commands topic', async () => {
      const body = { vmId, volumeIds: [volumeA, volumeB], name: 'before-upgrade' };
      const res = await http().post('/vm-snapshots').set('X-Tenant', 'acme').set('X-Correlation-Id', 'corr-vms-1').send(body).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), vmSnapshotId: expect.any(String) });
      ({ jobId: createJob, vmSnapshotId } = res.body);
      expect((await http().get(`/jobs/${createJob}`).set('X-Tenant', 'acme').expect(200)).body).toMatchObject({ status: 'accepted', commandType: 'CreateVmSnapshot', aggregateId: vmSnapshotId });
      expect(await commandFor(createJob)).toEqual({
        messageId: createJob,
        kind: 'command',
        type: 'CreateVmSnapshot',
        schemaVersion: 1,
        aggregateId: vmSnapshotId,
        streamVersion: null,
        occurredAt: expect.any(String),
        correlationId: 'corr-vms-1',
        causationId: null,
        tenant: 'acme',
        data: body,
      });
      expect(commandTopics.get(createJob)).toBe(topics.snapshotCommands);
      expect(commandKeys.get(createJob)).toBe(vmSnapshotId);
    });

    it('VmSnapshotRequested then VmSnapshotCreated show the VM snapshot ready with its members and end the job', async () => {
      await emitSnapshotEvent('VmSnapshotRequested', vmSnapshotId, 1, createJob, { vmSnapshotId, vmId, name: 'before-upgrade', groupName: `vms-${vmSnapshotId}`, members: members() }, 'acme');
      expect(await where('VM snapshot creating', `/vm-snapshots/${vmSnapshotId}`, (s) => s.status === 'creating')).toMatchObject({ vmId, members: [{ volumeId: volumeA, sizeBytes: null }, { volumeId: volumeB, sizeBytes: null }] });
      expect((await http().get(`/jobs/${createJob}`).expect(200)).body.status).toBe('running');
      const made = members().map((m, i) => ({ volumeId: m.volumeId, snapshotBackendName: m.snapshotBackendName, sizeBytes: (i + 1) * GiB }));
      const created = await emitSnapshotEvent('VmSnapshotCreated', vmSnapshotId, 2, createJob, { vmSnapshotId, vmId, members: made }, 'acme');
      expect((await jobStatus(createJob, 'succeeded')).result).toEqual({ vmSnapshotId, vmId, members: made });
      // The same event delivered again is projected once.
      await bus.publish([{ topic: topics.snapshotEvents, key: vmSnapshotId, value: JSON.stringify(created) }]);
      expect((await http().get(`/vm-snapshots/${vmSnapshotId}`).set('X-Tenant', 'acme').expect(200)).body).toEqual({
        id: vmSnapshotId,
        vmId,
        name: 'before-upgrade',
        tenant: 'acme',
        status: 'ready',
        members: members().map((m, i) => ({ volumeId: m.volumeId, poolId: pool, snapshotBackendName: m.snapshotBackendName, sizeBytes: (i + 1) * GiB })),
        lastError: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const ids = (body: { items: { id: string }[] }) => body.items.map((s) => s.id);
      expect(ids((await http().get('/vm-snapshots').query({ vmId }).expect(200)).body)).toEqual([vmSnapshotId]);
      expect(ids((await http().get('/vm-snapshots').query({ vmId, status: 'ready' }).set('X-Tenant', 'acme').expect(200)).body)).toEqual([vmSnapshotId]);
      expect(ids((await http().get('/vm-snapshots').query({ vmId, status: 'creating' }).expect(200)).body)).toEqual([]);
      expect((await http().get(`/vm-snapshots/${vmSnapshotId}/events`).expect(200)).body.items.map((e: Envelope) => [e.streamVersion, e.type])).toEqual([
        [1, 'VmSnapshotRequested'],
        [2, 'VmSnapshotCreated'],
      ]);
    });

    it('keeps tenants apart', async () => {
      await http().get(`/vm-snapshots/${vmSnapshotId}`).set('X-Tenant', 'globex').expect(404);
      expect((await http().get('/vm-snapshots').query({ vmId }).set('X-Tenant', 'globex').expect(200)).body.items).toEqual([]);
      await http().delete(`/vm-snapshots/${vmSnapshotId}`).set('X-Tenant', 'globex').expect(404);
      await http().post(`/vm-snapshots/${vmSnapshotId}/revert`).set('X-Tenant', 'globex').expect(404);
    });

    it('pages through VM snapshots with an opaque cursor', async () => {
      const pagedVm = `vm-${randomUUID()}`;
      const made = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of made) {
        await emitSnapshotEvent('VmSnapshotRequested', id, 1, null, { vmSnapshotId: id, vmId: pagedVm, name: 'paged', groupName: `g-${id}`, members: members() }, 'acme');
      }
      // Projected in the order they arrive (each is keyed by its own id, so partitions may reorder them).
      const all: string[] = (
        await until('three VM snapshots listed', async () => {
          const res = await http().get('/vm-snapshots').query({ vmId: pagedVm });
          return res.body.items?.length === 3 ? res.body : undefined;
        })
      ).items.map((s: { id: string }) => s.id);
      expect([...all].sort()).toEqual([...made].sort());
      const first = (await http().get('/vm-snapshots').query({ vmId: pagedVm, limit: 2 }).expect(200)).body;
      expect(first.items.map((s: { id: string }) => s.id)).toEqual(all.slice(0, 2));
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = (await http().get('/vm-snapshots').query({ vmId: pagedVm, limit: 2, cursor: first.nextCursor }).expect(200)).body;
      expect(second).toEqual({ items: [expect.objectContaining({ id: all[2] })], nextCursor: null });
    });

    it('POST /vm-snapshots/:id/revert answers 202 and queues RevertToVmSnapshot; a failed revert leaves it ready with the reason and fails the job', async () => {
      const res = await http().post(`/vm-snapshots/${vmSnapshotId}/revert`).set('X-Tenant', 'acme').expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), vmSnapshotId });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'RevertToVmSnapshot', aggregateId: vmSnapshotId, tenant: 'acme', data: {} });
      expect(commandTopics.get(res.body.jobId)).toBe(topics.snapshotCommands);
      expect(commandKeys.get(res.body.jobId)).toBe(vmSnapshotId);
      await emitSnapshotEvent('VmSnapshotRevertRequested', vmSnapshotId, 3, res.body.jobId, { vmSnapshotId, vmId }, 'acme');
      await where('VM snapshot reverting', `/vm-snapshots/${vmSnapshotId}`, (s) => s.status === 'reverting');
      const error = { code: 'backend.busy', category: 'backend', message: 'the group is busy' };
      await emitSnapshotEvent('VmSnapshotRevertFailed', vmSnapshotId, 4, res.body.jobId, { vmSnapshotId, vmId, error }, 'acme');
      expect((await jobStatus(res.body.jobId, 'failed')).error).toEqual({ ...error, violations: [], details: { vmSnapshotId, vmId } });
      expect(await where('VM snapshot ready again', `/vm-snapshots/${vmSnapshotId}`, (s) => s.status === 'ready')).toMatchObject({ lastError: error });

      const again = await http().post(`/vm-snapshots/${vmSnapshotId}/revert`).send({}).expect(202);
      await emitSnapshotEvent('VmSnapshotRevertRequested', vmSnapshotId, 5, again.body.jobId, { vmSnapshotId, vmId }, 'acme');
      await emitSnapshotEvent('VmSnapshotReverted', vmSnapshotId, 6, again.body.jobId, { vmSnapshotId, vmId }, 'acme');
      expect((await jobStatus(again.body.jobId, 'succeeded')).result).toEqual({ vmSnapshotId, vmId });
      expect(await where('VM snapshot reverted', `/vm-snapshots/${vmSnapshotId}`, (s) => s.lastError === null)).toMatchObject({ status: 'ready' });
    });

    it('a CommandRejected (vmsnapshot.mixed_backends) fails the CreateVmSnapshot job with the reason', async () => {
      const res = await http().post('/vm-snapshots').send({ vmId, volumeIds: [volumeA], name: 'mixed' }).expect(202);
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'CreateVmSnapshot', tenant: 'acme' });
      await emitSnapshotEvent('CommandRejected', res.body.vmSnapshotId, 1, res.body.jobId, {
        commandId: res.body.jobId,
        commandType: 'CreateVmSnapshot',
        aggregateId: res.body.vmSnapshotId,
        error: { code: 'vmsnapshot.mixed_backends', category: 'illegal_state', message: 'the volumes are on pools of different backends' },
        violations: [],
      }, 'acme');
      expect((await jobStatus(res.body.jobId, 'failed')).error).toMatchObject({ code: 'vmsnapshot.mixed_backends' });
      await http().get(`/vm-snapshots/${res.body.vmSnapshotId}`).expect(404);
    });

    it('DELETE /vm-snapshots/:id answers 202 and queues DeleteVmSnapshot; VmSnapshotDeleted hides it, listed only when asked, and a second delete is 409', async () => {
      const res = await http().delete(`/vm-snapshots/${vmSnapshotId}`).set('X-Tenant', 'acme').expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), vmSnapshotId });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'DeleteVmSnapshot', aggregateId: vmSnapshotId, data: {} });
      expect(commandTopics.get(res.body.jobId)).toBe(topics.snapshotCommands);
      await emitSnapshotEvent('VmSnapshotDeletionRequested', vmSnapshotId, 7, res.body.jobId, { vmSnapshotId, vmId }, 'acme');
      await where('VM snapshot deleting', `/vm-snapshots/${vmSnapshotId}`, (s) => s.status === 'deleting');
      await emitSnapshotEvent('VmSnapshotDeleted', vmSnapshotId, 8, res.body.jobId, { vmSnapshotId, vmId }, 'acme');
      expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ vmSnapshotId, vmId });
      await where('VM snapshot deleted', `/vm-snapshots/${vmSnapshotId}`, (s) => s.status === 'deleted');
      expect((await http().get('/vm-snapshots').query({ vmId }).expect(200)).body.items).toEqual([]);
      expect((await http().get('/vm-snapshots').query({ vmId, status: 'deleted' }).expect(200)).body.items.map((s: { id: string }) => s.id)).toEqual([vmSnapshotId]);
      expect((await http().delete(`/vm-snapshots/${vmSnapshotId}`).expect(409)).body).toEqual({
        statusCode: 409,
        code: 'vm_snapshot.already_deleted',
        message: `VM snapshot ${vmSnapshotId} is already deleted`,
      });
      expect((await http().post(`/vm-snapshots/${vmSnapshotId}/revert`).expect(409)).body.code).toBe('vm_snapshot.already_deleted');
    });

    it('answers 404 for an unknown volume or VM snapshot, or another tenant\'s volume, and 400 for a bad body, queueing nothing', async () => {
      const unknown = randomUUID();
      const before = await outboxCount();
      expect((await http().post('/vm-snapshots').send({ vmId, volumeIds: [volumeA, unknown], name: 'n' }).expect(404)).body).toEqual({
        statusCode: 404,
        code: 'volume.not_found',
        message: `volume ${unknown} does not exist`,
      });
      expect((await http().post('/vm-snapshots').set('X-Tenant', 'acme').send({ vmId, volumeIds: [volumeA, globexVolume], name: 'n' }).expect(404)).body.code).toBe('volume.not_found');
      expect((await http().post('/vm-snapshots').send({ vmId, volumeIds: [volumeA, globexVolume], name: 'n' }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'volumeIds', rule: 'sameTenant' }),
      ]);
      expect((await http().post('/vm-snapshots').send({ vmId: '', volumeIds: [], name: '-bad', colour: 'red' }).expect(400)).body.violations.map((v: { field: string; rule: string }) => [v.field, v.rule])).toEqual(
        expect.arrayContaining([['vmId', 'isNotEmpty'], ['volumeIds', 'arrayMinSize'], ['name', 'matches'], ['colour', 'whitelistValidation']]),
      );
      expect((await http().get(`/vm-snapshots/${unknown}`).expect(404)).body).toEqual({ statusCode: 404, code: 'vm_snapshot.not_found', message: `VM snapshot ${unknown} does not exist` });
      expect((await http().delete(`/vm-snapshots/${unknown}`).expect(404)).body.code).toBe('vm_snapshot.not_found');
      expect((await http().post(`/vm-snapshots/${unknown}/revert`).expect(404)).body.code).toBe('vm_snapshot.not_found');
      expect((await http().get('/vm-snapshots').query({ status: 'gone' }).expect(400)).body.code).toBe('request.invalid');
      expect((await http().get('/vm-snapshots/nope').expect(400)).body.violations).toEqual([{ field: 'id', rule: 'isUuid', message: 'id must be a UUID' }]);
      expect(await outboxCount()).toBe(before);
    });

    it('documents the VM snapshot endpoints and the VM snapshot view', async () => {
      const doc = (await http().get('/docs-json').expect(200)).body;
      for (const [path, method, status] of [
        ['/vm-snapshots', 'post', '202'], ['/vm-snapshots', 'get', '200'], ['/vm-snapshots/{id}', 'get', '200'], ['/vm-snapshots/{id}/events', 'get', '200'],
        ['/vm-snapshots/{id}', 'delete', '202'], ['/vm-snapshots/{id}/revert', 'post', '202'],
      ]) {
        expect([path, method, doc.paths[path]?.[method]?.responses[status]]).toEqual([path, method, expect.anything()]);
      }
      expect(Object.keys(doc.components.schemas.VmSnapshotView.properties)).toEqual(
        expect.arrayContaining(['id', 'vmId', 'name', 'tenant', 'status', 'members', 'lastError', 'createdAt', 'updatedAt']),
      );
      expect(Object.keys(doc.components.schemas.VmSnapshotAccepted.properties)).toEqual(['jobId', 'vmSnapshotId']);
    });
  });

  describe('volumes made from snapshots, and the snapshot backup setting', () => {
    const pool = randomUUID();
    const volume = randomUUID();
    const snapshotId = randomUUID();
    const creatingSnapshot = randomUUID();
    const where = (what: string, path: string, check: (body: Record<string, unknown>) => boolean, tenant = 'acme') =>
      until(what, async () => {
        const res = await http().get(path).set('X-Tenant', tenant);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      });
    const outboxCount = async () => Number((await app.get(DataSource).query(`SELECT count(*)::int AS n FROM orchestrator.outbox`))[0].n);

    it("sets up acme's ready volume with a ready snapshot (to be backed up) and one still creating", async () => {
      await emit('StoragePoolAdded', pool, 1, null, {
        poolId: pool, name: 'clone-01', plugin: 'file', zoneId: 'zone-clone', clusterId: null, tags: [], config: { path: '/srv/clone' }, capacityBytes: 100 * GiB, usedBytes: 0,
      });
      const backendName = `vol-${volume}`;
      await emit('VolumeCreationRequested', volume, 1, null, { volumeId: volume, name: 'origin', poolId: pool, sizeBytes: 3 * GiB, volumeType: 'DATA', backendName }, 'acme');
      await emit('VolumeCreated', volume, 2, null, { volumeId: volume, poolId: pool, backendName, sizeBytes: 3 * GiB, path: `/srv/clone/${backendName}` }, 'acme');
      const requested = (id: string, backup?: boolean) => ({
        snapshotId: id, volumeId: volume, name: 'nightly', poolId: pool, volumeBackendName: backendName, backendName: `${backendName}@${id}`, policyId: null, dueAt: null, ...(backup === undefined ? {} : { backup }),
      });
      await emitSnapshotEvent('SnapshotRequested', snapshotId, 1, null, requested(snapshotId, true), 'acme');
      await emitSnapshotEvent('SnapshotCreated', snapshotId, 2, null, { snapshotId, volumeId: volume, sizeBytes: 3 * GiB }, 'acme');
      await emitSnapshotEvent('SnapshotRequested', creatingSnapshot, 1, null, requested(creatingSnapshot), 'acme');
      expect(await where('snapshot ready', `/snapshots/${snapshotId}`, (s) => s.status === 'ready')).toMatchObject({ backup: true, sizeBytes: 3 * GiB });
      expect(await where('snapshot creating', `/snapshots/${creatingSnapshot}`, (s) => s.status === 'creating')).toMatchObject({ backup: false });
      expect(await where('volume ready', `/volumes/${volume}`, (v) => v.status === 'ready')).toMatchObject({ source: null, backupSnapshots: false });
    });

    it('POST /snapshots/:id/volumes answers 202 with a job and the new volume id, and queues CreateVolume with fromSnapshot on the storage commands topic', async () => {
      const res = await http().post(`/snapshots/${snapshotId}/volumes`).set('X-Tenant', 'acme').set('X-Correlation-Id', 'corr-clone-1').send({ name: 'restored' }).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), volumeId: expect.any(String) });
      const { jobId, volumeId } = res.body;
      expect(await commandFor(jobId)).toEqual({
        messageId: jobId,
        kind: 'command',
        type: 'CreateVolume',
        schemaVersion: 1,
        aggregateId: volumeId,
        streamVersion: null,
        occurredAt: expect.any(String),
        correlationId: 'corr-clone-1',
        causationId: null,
        tenant: 'acme',
        data: { name: 'restored', sizeBytes: 3 * GiB, poolId: pool, fromSnapshot: { snapshotId, volumeId: volume } },
      });
      expect(commandTopics.get(jobId)).toBe(topics.storageCommands);
      expect(commandKeys.get(jobId)).toBe(volumeId);

      const source = { snapshotId, volumeId: volume, sourceVolumeBackendName: `vol-${volume}`, snapshotBackendName: `vol-${volume}@${snapshotId}` };
      const backendName = `vol-${volumeId}`;
      await emit('VolumeCreationRequested', volumeId, 1, jobId, { volumeId, name: 'restored', poolId: pool, sizeBytes: 3 * GiB, volumeType: 'DATA', backendName, source }, 'acme');
      await emit('VolumeCreated', volumeId, 2, jobId, { volumeId, poolId: pool, backendName, sizeBytes: 3 * GiB, path: `/srv/clone/${backendName}` }, 'acme');
      await jobStatus(jobId, 'succeeded');
      expect(await where('clone ready', `/volumes/${volumeId}`, (v) => v.status === 'ready')).toMatchObject({
        poolId: pool,
        tenant: 'acme',
        source: { snapshotId, volumeId: volume },
        backupSnapshots: false,
      });

      const bigger = await http().post(`/snapshots/${snapshotId}/volumes`).send({ name: 'bigger', sizeBytes: 5 * GiB }).expect(202);
      expect(await commandFor(bigger.body.jobId)).toMatchObject({ tenant: 'acme', data: { name: 'bigger', sizeBytes: 5 * GiB, poolId: pool, fromSnapshot: { snapshotId, volumeId: volume } } });
    });

    it('POST /snapshots/:id/volumes answers 404 for an unknown or foreign snapshot, 409 for one not ready, 400 for other fields; POST /volumes refuses fromSnapshot; nothing is queued', async () => {
      const unknown = randomUUID();
      const before = await outboxCount();
      expect((await http().post(`/snapshots/${unknown}/volumes`).send({ name: 'v' }).expect(404)).body.code).toBe('snapshot.not_found');
      expect((await http().post(`/snapshots/${snapshotId}/volumes`).set('X-Tenant', 'globex').send({ name: 'v' }).expect(404)).body.code).toBe('snapshot.not_found');
      expect((await http().post(`/snapshots/${creatingSnapshot}/volumes`).send({ name: 'v' }).expect(409)).body).toEqual({
        statusCode: 409,
        code: 'snapshot.not_ready',
        message: `snapshot ${creatingSnapshot} is creating, not ready`,
      });
      expect((await http().post(`/snapshots/${snapshotId}/volumes`).send({ name: 'v', poolId: pool }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'poolId', rule: 'whitelistValidation' }),
      ]);
      expect((await http().post('/volumes').send({ name: 'v', sizeBytes: GiB, poolId: pool, fromSnapshot: { snapshotId, volumeId: volume } }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'fromSnapshot', rule: 'whitelistValidation' }),
      ]);
      expect(await outboxCount()).toBe(before);
    });

    it('PUT /volumes/:id/snapshot-backup answers 202 and queues SetSnapshotBackup on the snapshot commands topic; SnapshotBackupSet shows on the volume and ends the job', async () => {
      const res = await http().put(`/volumes/${volume}/snapshot-backup`).set('X-Tenant', 'acme').send({ backupSnapshots: true }).expect(202);
      expect(res.body).toEqual({ jobId: expect.any(String), volumeId: volume });
      expect(await commandFor(res.body.jobId)).toMatchObject({ type: 'SetSnapshotBackup', aggregateId: volume, tenant: 'acme', data: { backupSnapshots: true } });
      expect(commandTopics.get(res.body.jobId)).toBe(topics.snapshotCommands);
      expect(commandKeys.get(res.body.jobId)).toBe(volume);
      await emitSnapshotEvent('SnapshotBackupSet', volume, 1, res.body.jobId, { volumeId: volume, backupSnapshots: true }, 'acme');
      expect((await jobStatus(res.body.jobId, 'succeeded')).result).toEqual({ volumeId: volume, backupSnapshots: true });
      expect(await where('volume backed up', `/volumes/${volume}`, (v) => v.backupSnapshots === true)).toMatchObject({ status: 'ready' });
      // The volume's own history, then its settings: the same versions, kept apart.
      expect((await http().get(`/volumes/${volume}/events`).expect(200)).body.items.map((e: Envelope) => [e.streamVersion, e.type])).toEqual([
        [1, 'VolumeCreationRequested'],
        [2, 'VolumeCreated'],
        [1, 'SnapshotBackupSet'],
      ]);

      const off = await http().put(`/volumes/${volume}/snapshot-backup`).send({ backupSnapshots: false }).expect(202);
      expect(await commandFor(off.body.jobId)).toMatchObject({ type: 'SetSnapshotBackup', tenant: 'acme', data: { backupSnapshots: false } });
      await emitSnapshotEvent('SnapshotBackupSet', volume, 2, off.body.jobId, { volumeId: volume, backupSnapshots: false }, 'acme');
      await jobStatus(off.body.jobId, 'succeeded');
      await where('volume not backed up', `/volumes/${volume}`, (v) => v.backupSnapshots === false);
    });

    it('a SnapshotBackupSet projected before its volume shows once the volume is', async () => {
      const late = randomUUID();
      await emitSnapshotEvent('SnapshotBackupSet', late, 1, null, { volumeId: late, backupSnapshots: true }, 'acme');
      await until('setting in the history', async () => {
        const rows = await app.get(DataSource).query(`SELECT 1 FROM orchestrator.aggregate_events WHERE aggregate_id = $1`, [late]);
        return rows.length === 1 ? rows : undefined;
      });
      const backendName = `vol-${late}`;
      await emit('VolumeCreationRequested', late, 1, null, { volumeId: late, name: 'late', poolId: pool, sizeBytes: GiB, volumeType: 'DATA', backendName }, 'acme');
      expect(await where('late volume', `/volumes/${late}`, (v) => v.status === 'creating')).toMatchObject({ backupSnapshots: true });
    });

    it('PUT /volumes/:id/snapshot-backup answers 404 for an unknown or foreign volume and 400 for a bad body, queueing nothing', async () => {
      const before = await outboxCount();
      expect((await http().put(`/volumes/${randomUUID()}/snapshot-backup`).send({ backupSnapshots: true }).expect(404)).body.code).toBe('volume.not_found');
      expect((await http().put(`/volumes/${volume}/snapshot-backup`).set('X-Tenant', 'globex').send({ backupSnapshots: true }).expect(404)).body.code).toBe('volume.not_found');
      expect((await http().put(`/volumes/${volume}/snapshot-backup`).send({ backupSnapshots: 'yes' }).expect(400)).body.violations).toEqual([
        expect.objectContaining({ field: 'backupSnapshots', rule: 'isBoolean' }),
      ]);
      expect(await outboxCount()).toBe(before);
    });

    it('documents the two endpoints and the new view fields', async () => {
      const doc = (await http().get('/docs-json').expect(200)).body;
      expect(doc.paths['/snapshots/{id}/volumes']?.post?.responses['202']).toBeDefined();
      expect(doc.paths['/volumes/{id}/snapshot-backup']?.put?.responses['202']).toBeDefined();
      expect(Object.keys(doc.components.schemas.VolumeView.properties)).toEqual(expect.arrayContaining(['source', 'backupSnapshots']));
      expect(Object.keys(doc.components.schemas.SnapshotView.properties)).toContain('backup');
    });
  });

  it('dead-letters what cannot be read, with the reason, and keeps going', async () => {
    const key = randomUUID();
    await bus.publish([{ topic: topics.storageEvents, key, value: 'not json at all' }]);
    const dead = await until('dead letter', async () => deadLetters.find((m) => m.key?.toString('utf8') === key));
    expect(dead.value?.toString('utf8')).toBe('not json at all');
    expect(dead.headers[DeadLetterHeaders.reason]).toMatch(/not valid JSON/);
    expect(dead.headers[DeadLetterHeaders.consumerGroup]).toBe('orchestrator-projections');
  });

  it('answers unknown ids with 404 and bad ids with 400 naming the parameter', async () => {
    const id = randomUUID();
    expect((await http().get(`/pools/${id}`).expect(404)).body).toEqual({ statusCode: 404, code: 'pool.not_found', message: `pool ${id} does not exist` });
    expect((await http().get(`/jobs/${id}`).expect(404)).body.code).toBe('job.not_found');
    expect((await http().delete(`/volumes/${id}`).expect(404)).body.code).toBe('volume.not_found');
    expect((await http().get('/volumes/nope').expect(400)).body.violations).toEqual([{ field: 'id', rule: 'isUuid', message: 'id must be a UUID' }]);
  });

  it('serves its OpenAPI document', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/pools', '/pools/{id}', '/pools/{id}/events', '/pools/{id}/enable', '/pools/{id}/disable', '/pools/{id}/refresh-capacity', '/volumes', '/volumes/{id}', '/volumes/{id}/events', '/jobs/{id}', '/plugins', '/plugins/{name}']),
    );
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/volumes/manage', '/volumes/{id}/resize', '/volumes/{id}/attach', '/volumes/{id}/detach', '/volumes/{id}/qos',
        '/hosts', '/hosts/{id}', '/hosts/{id}/events', '/pools/{id}/drift', '/pools/{id}/reconcile', '/pools/{id}/orphans/remove',
      ]),
    );
    for (const [path, method] of [
      ['/volumes/{id}/resize', 'post'], ['/volumes/{id}/attach', 'post'], ['/volumes/{id}/detach', 'post'], ['/volumes/{id}/qos', 'put'], ['/volumes/manage', 'post'],
      ['/hosts', 'post'], ['/hosts/{id}', 'delete'], ['/pools/{id}/reconcile', 'post'], ['/pools/{id}/orphans/remove', 'post'],
    ]) {
      expect([path, method, doc.paths[path][method].responses['202']]).toEqual([path, method, expect.anything()]);
    }
    expect(Object.keys(doc.components.schemas.CreateVolumeRequest.properties)).toEqual(expect.arrayContaining(['zoneId', 'provisioning', 'qos', 'allocationPolicy']));
    expect(Object.keys(doc.components.schemas.VolumeView.properties)).toEqual(expect.arrayContaining(['attachments', 'qos', 'provisioning', 'allocation']));
    expect(doc.paths['/volumes'].post.responses['202']).toBeDefined();
    for (const method of ['patch', 'delete']) expect(doc.paths['/pools/{id}'][method].responses['202']).toBeDefined();
    expect(doc.paths['/pools/{id}'].patch.responses['404']).toBeDefined();
    const addPool = doc.components.schemas.AddPoolRequest.properties;
    expect(Object.keys(addPool)).toEqual(expect.arrayContaining(['hypervisors', 'capacityIops', 'overProvisioningFactor', 'allocationDisableThreshold']));
    expect(Object.keys(doc.components.schemas.PoolView.properties)).toEqual(expect.arrayContaining(['status', 'disabledReason', 'allocatableBytes']));
  });
});
