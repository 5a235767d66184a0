import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { KafkaMessageBus } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra, useInfraEnv } from '@strata/testing';
import { AppModule } from './app.module';
import { makeApiKey, useBootstrapAdminKey, withKey } from './auth/api-key-testing.spec';
import { setUpOpenApi } from './http/openapi';

/** GET /zones, GET /clusters and GET /jobs on the real PostgreSQL and Kafka. */
describe('orchestrator: zones, clusters and the jobs list', () => {
  const GiB = 2 ** 30;
  let infra: TestInfra;
  let app: INestApplication;
  let bus: KafkaMessageBus;
  let topics: Topics;
  let adminKey: string;
  let acmeKey: string;
  const http = () => withKey(app, adminKey);

  async function emit(topic: string, type: string, aggregateId: string, streamVersion: number, data: object, tenant: string | null = null): Promise<void> {
    const envelope: Envelope = {
      messageId: randomUUID(),
      kind: 'event',
      type,
      schemaVersion: 1,
      aggregateId,
      streamVersion,
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      tenant,
      data,
    };
    await bus.publish([{ topic, key: aggregateId, value: JSON.stringify(envelope) }]);
  }

  beforeAll(async () => {
    infra = await createTestInfra('topology');
    useInfraEnv(infra);
    adminKey = useBootstrapAdminKey();
    topics = topicNames(infra.topicPrefix);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpOpenApi(app);
    await app.init();
    acmeKey = (await makeApiKey(app, adminKey, 'tenant', 'acme')).key;
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'orchestrator-topology-int' });
  });

  afterAll(async () => {
    await bus?.close();
    await app?.close();
    await infra?.dispose();
  });

  describe('zones and clusters', () => {
    beforeAll(async () => {
      const pool = (id: string, zoneId: string, clusterId: string | null, capacity: number) =>
        emit(topics.storageEvents, 'StoragePoolAdded', id, 1, { poolId: id, name: `p-${id.slice(0, 6)}`, plugin: 'file', zoneId, clusterId, tags: [], config: { path: '/srv/p' }, capacityBytes: capacity * GiB, usedBytes: GiB });
      const host = (id: string, zoneId: string, clusterId: string | null) =>
        emit(topics.storageEvents, 'HostRegistered', id, 1, { hostId: id, name: `h-${id.slice(0, 6)}`, zoneId, clusterId, hypervisor: 'kvm', identities: {} });
      const deleted = randomUUID();
      await pool(randomUUID(), 'zone-a', 'c-1', 100);
      await pool(randomUUID(), 'zone-a', 'c-2', 50);
      await pool(randomUUID(), 'zone-a', null, 10);
      await pool(deleted, 'zone-b', 'c-1', 1000);
      await emit(topics.storageEvents, 'StoragePoolDeleted', deleted, 2, { poolId: deleted });
      await host(randomUUID(), 'zone-a', 'c-1');
      await host(randomUUID(), 'zone-a', 'c-1');
      await host(randomUUID(), 'zone-c', 'c-9');
      const store = randomUUID();
      await emit(topics.imageEvents, 'ImageStoreAdded', store, 1, { imageStoreId: store, name: 'img', zoneId: 'zone-d', path: '/srv/img', capacityBytes: 40 * GiB, freeBytes: 30 * GiB });
      await eventually('the topology projected', async () => {
        const ds = app.get(DataSource);
        const [{ n }] = await ds.query(`SELECT (SELECT count(*) FROM orchestrator.pools WHERE status = 'deleted') + (SELECT count(*) FROM orchestrator.hosts) + (SELECT count(*) FROM orchestrator.image_stores) AS n`);
        return Number(n) === 5 ? true : undefined;
      });
    });

    it('GET /zones lists every zone named, with live counts and capacity totals', async () => {
      const { items, nextCursor } = (await http().get('/zones').expect(200)).body;
      expect(nextCursor).toBeNull();
      const zero = { pools: 0, hosts: 0, imageStores: 0, clusters: 0, capacityBytes: 0, usedBytes: 0, allocatedBytes: 0, imageStoreCapacityBytes: 0, imageStoreFreeBytes: 0 };
      expect(items).toEqual([
        { ...zero, id: 'zone-a', pools: 3, hosts: 2, clusters: 2, capacityBytes: 160 * GiB, usedBytes: 3 * GiB },
        // Its only pool is deleted: the zone is still named, with nothing live in it.
        { ...zero, id: 'zone-b' },
        { ...zero, id: 'zone-c', hosts: 1, clusters: 1 },
        { ...zero, id: 'zone-d', imageStores: 1, imageStoreCapacityBytes: 40 * GiB, imageStoreFreeBytes: 30 * GiB },
      ]);
    });

    it('pages zones by cursor, one id after another', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = (await http().get('/zones').query({ limit: 3, ...(cursor ? { cursor } : {}) }).expect(200)).body;
        seen.push(...page.items.map((z: { id: string }) => z.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(['zone-a', 'zone-b', 'zone-c', 'zone-d']);
      expect((await http().get('/zones').query({ cursor: 'nope' }).expect(400)).body.code).toBe('request.invalid');
    });

    it('GET /clusters lists clusters with their zone, zone by zone, paged and filtered by zone', async () => {
      const { items } = (await http().get('/clusters').expect(200)).body;
      expect(items).toEqual([
        { id: 'c-1', zoneId: 'zone-a', pools: 1, hosts: 2, capacityBytes: 100 * GiB, usedBytes: GiB, allocatedBytes: 0 },
        { id: 'c-2', zoneId: 'zone-a', pools: 1, hosts: 0, capacityBytes: 50 * GiB, usedBytes: GiB, allocatedBytes: 0 },
        { id: 'c-1', zoneId: 'zone-b', pools: 0, hosts: 0, capacityBytes: 0, usedBytes: 0, allocatedBytes: 0 },
        { id: 'c-9', zoneId: 'zone-c', pools: 0, hosts: 1, capacityBytes: 0, usedBytes: 0, allocatedBytes: 0 },
      ]);
      const first = (await http().get('/clusters').query({ limit: 2 }).expect(200)).body;
      expect(first.items.map((c: { id: string; zoneId: string }) => `${c.zoneId}/${c.id}`)).toEqual(['zone-a/c-1', 'zone-a/c-2']);
      const second = (await http().get('/clusters').query({ limit: 2, cursor: first.nextCursor }).expect(200)).body;
      expect(second.items.map((c: { id: string; zoneId: string }) => `${c.zoneId}/${c.id}`)).toEqual(['zone-b/c-1', 'zone-c/c-9']);
      expect(second.nextCursor).toBeNull();
      const inZone = (await http().get('/clusters').query({ zoneId: 'zone-a', limit: 1 }).expect(200)).body;
      expect(inZone.items.map((c: { id: string }) => c.id)).toEqual(['c-1']);
      const rest = (await http().get('/clusters').query({ zoneId: 'zone-a', limit: 1, cursor: inZone.nextCursor }).expect(200)).body;
      expect(rest.items.map((c: { id: string }) => c.id)).toEqual(['c-2']);
      expect(rest.nextCursor).toBeNull();
    });

    it('zones and clusters are shared infrastructure a tenant may read, as pools and hosts', async () => {
      const zones = (await withKey(app, acmeKey).get('/zones').expect(200)).body;
      expect(zones.items.length).toBeGreaterThan(0);
      expect((await withKey(app, acmeKey).get('/clusters').expect(200)).body.items.length).toBeGreaterThan(0);
    });
  });

  describe('GET /jobs', () => {
    const ids: { id: string; type: string; status: string; tenant: string | null; aggregateId: string }[] = [];
    const volume = randomUUID();

    beforeAll(async () => {
      // Jobs as commands leave them, at distinct and equal times (the id breaks the tie).
      const base = Date.parse('2026-01-01T00:00:00.000Z');
      const rows: [string, string, string | null, string, number][] = [
        ['CreateVolume', 'succeeded', 'acme', volume, 0],
        ['ResizeVolume', 'running', 'acme', volume, 1000],
        ['CreateVolume', 'failed', 'globex', randomUUID(), 2000],
        ['AddStoragePool', 'succeeded', null, randomUUID(), 3000],
        ['DeleteVolume', 'accepted', 'acme', volume, 3000],
        ['CreateVolume', 'accepted', 'acme', randomUUID(), 3000],
      ];
      const ds = app.get(DataSource);
      for (const [type, status, tenant, aggregateId, offset] of rows) {
        const id = randomUUID();
        ids.push({ id, type, status, tenant, aggregateId });
        await ds.query(`INSERT INTO orchestrator.jobs (id, command_type, aggregate_id, tenant, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`, [
          id,
          type,
          aggregateId,
          tenant,
          status,
          new Date(base + offset),
        ]);
      }
    });

    /** The seeded jobs in the list's order: newest first, then by id descending. */
    const newestFirst = () =>
      [...ids]
        .map((j, i) => ({ ...j, at: [0, 1000, 2000, 3000, 3000, 3000][i] }))
        .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
        .map((j) => j.id);
    const all = async (query: Record<string, string | number>, key = adminKey) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = (await withKey(app, key).get('/jobs').query({ ...query, ...(cursor ? { cursor } : {}) }).expect(200)).body;
        seen.push(...page.items.map((j: { id: string }) => j.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen.filter((id) => ids.some((j) => j.id === id));
    };

    it('lists jobs newest first, one keyset page after another', async () => {
      expect(await all({ limit: 2 })).toEqual(newestFirst());
      const first = (await http().get('/jobs').query({ limit: 1 }).expect(200)).body;
      expect(first.items[0]).toMatchObject({ id: expect.any(String), status: expect.any(String), commandType: expect.any(String) });
      expect((await http().get('/jobs').query({ cursor: 'x' }).expect(400)).body.code).toBe('request.invalid');
    });

    it('filters by status, command type and resource', async () => {
      const order = newestFirst();
      const expected = (match: (j: (typeof ids)[number]) => boolean) => order.filter((id) => match(ids.find((j) => j.id === id)!));
      expect(await all({ status: 'accepted', limit: 1 })).toEqual(expected((j) => j.status === 'accepted'));
      expect(await all({ type: 'CreateVolume', limit: 2 })).toEqual(expected((j) => j.type === 'CreateVolume'));
      expect(await all({ resourceId: volume })).toEqual(expected((j) => j.aggregateId === volume));
      expect(await all({ type: 'CreateVolume', status: 'failed' })).toEqual(expected((j) => j.type === 'CreateVolume' && j.status === 'failed'));
      expect((await http().get('/jobs').query({ status: 'done' }).expect(400)).body.code).toBe('request.invalid');
    });

    it("a tenant sees only its own jobs, whatever it asks for; an operator acting for a tenant sees that tenant's", async () => {
      const acme = newestFirst().filter((id) => ids.find((j) => j.id === id)!.tenant === 'acme');
      expect(await all({ limit: 2 }, acmeKey)).toEqual(acme);
      expect(await all({ tenant: 'globex' }, acmeKey)).toEqual([]);
      const globexJob = ids.find((j) => j.tenant === 'globex')!;
      expect(await all({ resourceId: globexJob.aggregateId }, acmeKey)).toEqual([]);
      expect((await http().get('/jobs').set('X-Tenant', 'globex').expect(200)).body.items.map((j: { id: string }) => j.id)).toEqual([globexJob.id]);
    });
  });
});
