import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { KafkaMessageBus } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra, useInfraEnv } from '@strata/testing';
import { AppModule } from '../app.module';
import { setUpOpenApi } from '../http/openapi';
import { makeApiKey, useBootstrapAdminKey, withKey } from './api-key-testing.spec';
import { hashApiKey } from './domain/api-key-secret';

/**
 * API keys end to end in-process, on the real PostgreSQL (and Kafka, for the tenants'
 * volumes): the bootstrap key, keys of each role, what a list shows, revocation (at once;
 * never the last admin), tenant scope, and the 401s.
 */
describe('API keys on real PostgreSQL', () => {
  const GiB = 2 ** 30;
  let infra: TestInfra;
  let app: INestApplication;
  let bus: KafkaMessageBus;
  let topics: Topics;
  let adminKey: string;
  const anonymous = () => request(app.getHttpServer());
  const admin = () => withKey(app, adminKey);
  const made = new Map<string, { id: string; key: string }>();

  async function emit(type: string, aggregateId: string, streamVersion: number, data: object, tenant: string | null) {
    const envelope: Envelope = {
      messageId: randomUUID(), kind: 'event', type, schemaVersion: 1, aggregateId, streamVersion,
      occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: null, tenant, data,
    };
    await bus.publish([{ topic: topics.storageEvents, key: aggregateId, value: JSON.stringify(envelope) }]);
  }

  beforeAll(async () => {
    infra = await createTestInfra('apikeys');
    useInfraEnv(infra);
    adminKey = useBootstrapAdminKey();
    topics = topicNames(infra.topicPrefix);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpOpenApi(app);
    await app.init();
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'orchestrator-apikeys-int' });
  });

  afterAll(async () => {
    await bus?.close();
    await app?.close();
    await infra?.dispose();
  });

  it('answers 401 with WWW-Authenticate: Bearer to a request without a key or with an unknown one; /health stays public', async () => {
    for (const req of [anonymous().get('/volumes'), anonymous().get('/volumes').set('authorization', `Basic ${Buffer.from('a:b').toString('base64')}`), anonymous().get('/metrics')]) {
      const res = await req;
      expect([res.status, res.body.code, res.headers['www-authenticate']]).toEqual([401, 'auth.missing_key', 'Bearer']);
    }
    for (const key of [`stk_${'A'.repeat(43)}`, 'not-a-key', 'x'.repeat(600)]) {
      const res = await withKey(app, key).get('/volumes');
      expect([res.status, res.headers['www-authenticate']]).toEqual([401, 'Bearer']);
      expect(res.body).toEqual({ statusCode: 401, code: 'auth.invalid_key', message: 'the API key is not valid (unknown or revoked)' });
    }
    await anonymous().get('/health').expect(200);
    // The document says so: a bearer scheme for every operation, none for the public ones.
    const doc = (await anonymous().get('/docs-json').expect(200)).body;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(Object.keys(doc.paths['/volumes'].get.responses)).toEqual(expect.arrayContaining(['401', '403']));
    expect(doc.paths['/api-keys'].post.responses['201']).toBeDefined();
  });

  it('made the bootstrap admin key from STRATA_BOOTSTRAP_ADMIN_KEY at start; it works and records its use', async () => {
    const list = (await admin().get('/api-keys').expect(200)).body;
    expect(list).toEqual({
      items: [{ id: expect.any(String), name: 'bootstrap', role: 'admin', tenant: null, prefix: adminKey.slice(0, 12), createdAt: expect.any(String), revokedAt: null, lastUsedAt: expect.any(String) }],
      nextCursor: null,
    });
    made.set('bootstrap', { id: list.items[0].id, key: adminKey });
    const events = (await admin().get(`/api-keys/${list.items[0].id}/events`).expect(200)).body.items;
    expect(events.map((e: Envelope) => [e.type, e.data])).toEqual([
      ['ApiKeyCreated', { keyId: list.items[0].id, name: 'bootstrap', role: 'admin', tenant: null, prefix: adminKey.slice(0, 12), createdBy: null }],
    ]);
  });

  it('makes keys of each role, shows each secret once, and refuses bad requests naming field and rule', async () => {
    for (const [name, body] of [
      ['second-admin', { name: 'second-admin', role: 'admin' }],
      ['operator', { name: 'ops', role: 'operator' }],
      ['acme', { name: 'acme-platform', role: 'tenant', tenant: 'acme' }],
      ['globex', { name: 'globex-platform', role: 'tenant', tenant: 'globex' }],
    ] as const) {
      const res = await admin().post('/api-keys').set('X-Correlation-Id', `corr-${name}`).send(body).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String), name: body.name, role: body.role, tenant: 'tenant' in body ? body.tenant : null,
        prefix: res.body.key.slice(0, 12), createdAt: expect.any(String), revokedAt: null, lastUsedAt: null, key: expect.stringMatching(/^stk_[A-Za-z0-9_-]{43}$/),
      });
      made.set(name, { id: res.body.id, key: res.body.key });
      const [created] = (await admin().get(`/api-keys/${res.body.id}/events`).expect(200)).body.items;
      expect(created).toMatchObject({ type: 'ApiKeyCreated', correlationId: `corr-${name}`, data: { keyId: res.body.id, createdBy: made.get('bootstrap')!.id } });
    }
    const violations = async (body: unknown) => (await admin().post('/api-keys').send(body as object).expect(400)).body.violations.map((v: { field: string; rule: string }) => [v.field, v.rule]);
    expect(await violations({ name: '-bad', role: 'root', colour: 'red' })).toEqual(expect.arrayContaining([['name', 'matches'], ['role', 'isIn'], ['colour', 'whitelistValidation']]));
    expect(await violations({ name: 'x', role: 'tenant' })).toEqual([['tenant', 'requiredForTenantRole']]);
    expect(await violations({ name: 'x', role: 'operator', tenant: 'acme' })).toEqual([['tenant', 'onlyForTenantRole']]);
    expect(await violations({ name: 'x', role: 'tenant', tenant: ' acme' })).toEqual([['tenant', 'matches']]);
  });

  it('lists keys with neither secret nor hash anywhere, in the answers or the events', async () => {
    const list = (await admin().get('/api-keys').expect(200)).body;
    expect(list.items.map((k: { name: string }) => k.name)).toEqual(['bootstrap', 'second-admin', 'ops', 'acme-platform', 'globex-platform']);
    for (const item of list.items) expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role', 'tenant']);
    const page = (await admin().get('/api-keys').query({ limit: 2 }).expect(200)).body;
    expect(page.items).toHaveLength(2);
    expect((await admin().get('/api-keys').query({ cursor: page.nextCursor }).expect(200)).body.items.map((k: { name: string }) => k.name)).toEqual(['ops', 'acme-platform', 'globex-platform']);
    const events = await app.get(DataSource).query(`SELECT data::text AS data FROM orchestrator.events WHERE stream_id LIKE 'api-key-%'`);
    const everything = JSON.stringify(list) + JSON.stringify(events);
    for (const { key } of made.values()) {
      expect(everything).not.toContain(key.slice(12));
      expect(everything).not.toContain(hashApiKey(key));
    }
  });

  it('keeps API keys to admins and shared infrastructure to admins and operators, and credentials to admins', async () => {
    const operator = () => withKey(app, made.get('operator')!.key);
    const acme = () => withKey(app, made.get('acme')!.key);
    for (const req of [operator().get('/api-keys'), acme().get('/api-keys'), operator().delete(`/api-keys/${made.get('acme')!.id}`)]) {
      const res = await req;
      expect(res.body).toEqual({ statusCode: 403, code: 'auth.forbidden', message: expect.stringMatching(/^this needs the admin role; the key has the (operator|tenant) role$/) });
    }
    expect((await acme().post('/pools').send({ name: 'p', plugin: 'file', zoneId: 'z', config: { path: '/srv/p' } }).expect(403)).body.message).toBe(
      'this needs the admin or operator role; the key has the tenant role',
    );
    await operator().post('/pools').send({ name: 'p', plugin: 'file', zoneId: 'z', config: { path: '/srv/p' } }).expect(202);
    const token = 'Tk-apikeys-int-4471';
    for (const [body, field] of [
      [{ name: 'sp', plugin: 'storpool', zoneId: 'z', config: { host: 'sp.example', authToken: token, template: 'nvme' } }, 'config.authToken'],
      [{ name: 'sp', plugin: 'storpool', zoneId: 'z', url: `SP_API_HTTP=sp.example:81;SP_AUTH_TOKEN=${token};SP_TEMPLATE=nvme` }, 'url'],
    ] as const) {
      const res = await operator().post('/pools').send(body).expect(403);
      expect(res.body.code).toBe('auth.forbidden');
      expect(res.body.message).toContain(`${field} carries a credential`);
      expect(res.body.message).not.toContain(token);
    }
    await admin().post('/pools').send({ name: 'sp', plugin: 'storpool', zoneId: 'z', config: { host: 'sp.example', authToken: token, template: 'nvme' } }).expect(202);
    // /metrics (service-kit's) is for admins and operators.
    expect((await acme().get('/metrics').expect(403)).body.code).toBe('auth.forbidden');
    expect((await operator().get('/metrics').expect(200)).text).toContain('strata_');
  });

  it('scopes a tenant key to its tenant: other tenants\' resources are 404, X-Tenant changes nothing', async () => {
    const poolId = randomUUID();
    await emit('StoragePoolAdded', poolId, 1, { poolId, name: 'shared', plugin: 'file', zoneId: 'z', clusterId: null, tags: [], config: { path: '/srv/shared' }, capacityBytes: 100 * GiB, usedBytes: 0 }, null);
    const volumes: Record<string, string> = {};
    for (const tenant of ['acme', 'globex']) {
      const volumeId = randomUUID();
      volumes[tenant] = volumeId;
      const backendName = `vol-${volumeId}`;
      await emit('VolumeCreationRequested', volumeId, 1, { volumeId, name: `${tenant}-data`, poolId, sizeBytes: GiB, volumeType: 'DATA', backendName }, tenant);
      await emit('VolumeCreated', volumeId, 2, { volumeId, poolId, backendName, sizeBytes: GiB, path: `/srv/shared/${backendName}` }, tenant);
    }
    await eventually('both volumes', async () => ((await admin().get('/volumes')).body.items?.length === 2 ? true : undefined));
    const acme = () => withKey(app, made.get('acme')!.key);
    expect((await acme().get('/volumes').expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([volumes.acme]);
    expect((await acme().get('/volumes').set('X-Tenant', 'globex').expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([volumes.acme]);
    expect((await acme().get(`/volumes/${volumes.globex}`).expect(404)).body.code).toBe('volume.not_found');
    expect((await acme().get(`/volumes/${volumes.globex}`).set('X-Tenant', 'globex').expect(404)).body.code).toBe('volume.not_found');
    expect((await acme().delete(`/volumes/${volumes.globex}`).expect(404)).body.code).toBe('volume.not_found');
    // A tenant key's command carries its own tenant, not the one X-Tenant names.
    const resize = await acme().post(`/volumes/${volumes.acme}/resize`).set('X-Tenant', 'globex').send({ sizeBytes: 2 * GiB }).expect(202);
    expect((await admin().get(`/jobs/${resize.body.jobId}`).expect(200)).body.tenant).toBe('acme');
    expect((await withKey(app, made.get('globex')!.key).get(`/jobs/${resize.body.jobId}`).expect(404)).body.code).toBe('job.not_found');
    // Admin and operator keys see every tenant, or the one X-Tenant names.
    expect((await admin().get('/volumes').set('X-Tenant', 'globex').expect(200)).body.items.map((v: { id: string }) => v.id)).toEqual([volumes.globex]);
    expect((await withKey(app, made.get('operator')!.key).get('/volumes').expect(200)).body.items).toHaveLength(2);
  });

  it('revokes a key so that it stops working at once, records who revoked it, and revokes twice as once', async () => {
    const { id, key } = made.get('globex')!;
    await withKey(app, key).get('/volumes').expect(200); // now cached as valid
    const res = await withKey(app, made.get('second-admin')!.key).delete(`/api-keys/${id}`).set('X-Correlation-Id', 'corr-revoke').expect(200);
    expect(res.body).toMatchObject({ id, name: 'globex-platform', revokedAt: expect.any(String), lastUsedAt: expect.any(String) });
    expect(res.body.key).toBeUndefined();
    const refused = await withKey(app, key).get('/volumes');
    expect([refused.status, refused.body.code, refused.headers['www-authenticate']]).toEqual([401, 'auth.invalid_key', 'Bearer']);
    expect((await admin().delete(`/api-keys/${id}`).expect(200)).body.revokedAt).toBe(res.body.revokedAt);
    const events = (await admin().get(`/api-keys/${id}/events`).expect(200)).body.items;
    expect(events.map((e: Envelope) => [e.streamVersion, e.type])).toEqual([[1, 'ApiKeyCreated'], [2, 'ApiKeyRevoked']]);
    expect(events[1]).toMatchObject({ correlationId: 'corr-revoke', tenant: 'globex', data: { keyId: id, revokedBy: made.get('second-admin')!.id } });
    expect((await admin().get(`/api-keys/${randomUUID()}`).expect(404)).body.code).toBe('api_key.not_found');
    expect((await admin().delete(`/api-keys/${randomUUID()}`).expect(404)).body.code).toBe('api_key.not_found');
  });

  it('never revokes the last active admin key', async () => {
    await admin().delete(`/api-keys/${made.get('second-admin')!.id}`).expect(200);
    const res = await admin().delete(`/api-keys/${made.get('bootstrap')!.id}`).expect(409);
    expect(res.body).toEqual({ statusCode: 409, code: 'api_key.last_admin', message: expect.stringContaining('last active admin key') });
    await admin().get('/api-keys').expect(200);
    // Another admin key, and the bootstrap key may go (and stops working).
    const next = await makeApiKey(app, adminKey, 'admin');
    await withKey(app, next.key).delete(`/api-keys/${made.get('bootstrap')!.id}`).expect(200);
    expect((await admin().get('/api-keys')).status).toBe(401);
  });

  it('keeps a revoked bootstrap key revoked after a restart', async () => {
    const again = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const second = again.createNestApplication({ logger: ['error'] });
    await second.init();
    try {
      expect((await withKey(second, adminKey).get('/api-keys')).status).toBe(401);
      expect(await app.get(DataSource).query(`SELECT name, revoked_at IS NOT NULL AS revoked FROM orchestrator.api_keys WHERE name = 'bootstrap'`)).toEqual([{ name: 'bootstrap', revoked: true }]);
    } finally {
      await second.close();
    }
  });
});
