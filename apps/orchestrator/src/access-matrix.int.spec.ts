import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { KafkaMessageBus } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra, useInfraEnv } from '@strata/testing';
import { AppModule } from './app.module';
import { setUpOpenApi } from './http/openapi';
import {
  type Access,
  concretePath,
  type Fixture,
  type OwnedKind,
  nestRoutes,
  ownedKindOf,
  type RouteKey,
  ROUTES,
  type Variant,
} from './testing/access-matrix.spec';

/**
 * Every route the orchestrator serves against every kind of caller (no key, bad keys, admin,
 * operator, two tenants), with the app in-process on the real PostgreSQL and Kafka. The routes
 * come from the app's own router, so a new endpoint fails here until it is classified in
 * testing/access-matrix.spec.ts. Tenant A's resources are made as the services would announce
 * them (events on the events topics); tenant B must not see them anywhere.
 */
describe('access matrix: every route against every caller', () => {
  const GiB = 2 ** 30;
  const MiB = 2 ** 20;
  const suffix = randomBytes(3).toString('hex');
  const tenantA = `acme-${suffix}`;
  const tenantB = `globex-${suffix}`;
  const zoneId = `zone-matrix-${suffix}`;
  const secret = () => `stk_${randomBytes(32).toString('base64url')}`;
  const ADMIN_KEY = secret();

  type CallerName = 'no key' | 'malformed key' | 'unknown key' | 'revoked key' | 'admin' | 'operator' | 'tenant A' | 'tenant B';
  const BAD_CALLERS: CallerName[] = ['no key', 'malformed key', 'unknown key', 'revoked key'];
  const authorization: Record<CallerName, string | null> = {
    'no key': null,
    'malformed key': 'Bearer not-a-strata-key',
    'unknown key': `Bearer ${secret()}`,
    'revoked key': null,
    admin: `Bearer ${ADMIN_KEY}`,
    operator: null,
    'tenant A': null,
    'tenant B': null,
  };
  const CALLERS = Object.keys(authorization) as CallerName[];

  let infra: TestInfra;
  let app: INestApplication;
  let bus: KafkaMessageBus;
  let topics: Topics;
  let baseUrl: string;
  let fixture: Fixture;
  let served: RouteKey[];

  function call(method: string, path: string, caller: CallerName, body?: object, headers: Record<string, string> = {}) {
    let req = request(baseUrl)[method.toLowerCase() as 'get'](path);
    const auth = authorization[caller];
    if (auth) req = req.set('Authorization', auth);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return body === undefined ? req : req.send(body);
  }
  const until = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 30_000);
  const visible = (path: string) => until(path, async () => ((await call('GET', path, 'admin')).status === 200 ? true : undefined));

  async function emit(topic: string, type: string, aggregateId: string, streamVersion: number, data: object, tenant: string | null) {
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

  async function createKey(name: string, role: string, tenant?: string): Promise<{ id: string; key: string }> {
    const res = await call('POST', '/api-keys', 'admin', { name, role, ...(tenant ? { tenant } : {}) });
    expect([name, res.status]).toEqual([name, 201]);
    expect(res.body).toMatchObject({ id: expect.any(String), name, role, tenant: tenant ?? null, revokedAt: null, key: expect.stringMatching(/^stk_[A-Za-z0-9_-]{43}$/) });
    return res.body;
  }

  /** Shared infrastructure and tenant A's resources of every kind, plus tenant B's own volume, as their services announce them. */
  async function makeResources(): Promise<Fixture> {
    const poolId = randomUUID();
    const storpoolPoolId = randomUUID();
    const hostId = randomUUID();
    const imageStoreId = randomUUID();
    const targetId = randomUUID();
    const [volume, volumeB, snapshot, vmSnapshot, policy, template, backup, schedule, restore] = Array.from({ length: 9 }, () => randomUUID());

    // Shared infrastructure and the two tenants' volumes.
    const storage = topics.storageEvents;
    await emit(storage, 'StoragePoolAdded', poolId, 1, { poolId, name: `matrix-${suffix}`, plugin: 'file', zoneId, clusterId: null, tags: [], config: { path: '/srv/matrix' }, capacityBytes: 100 * GiB, usedBytes: 0 }, null);
    await emit(storage, 'StoragePoolAdded', storpoolPoolId, 1, { poolId: storpoolPoolId, name: `matrix-sp-${suffix}`, plugin: 'storpool', zoneId, clusterId: null, tags: [], config: { host: 'sp.example', authToken: '***', template: 'nvme' }, capacityBytes: 100 * GiB, usedBytes: 0 }, null);
    await emit(storage, 'HostRegistered', hostId, 1, { hostId, name: `matrix-kvm-${suffix}`, zoneId, clusterId: null, hypervisor: 'kvm', identities: {} }, null);
    await emit(topics.imageEvents, 'ImageStoreAdded', imageStoreId, 1, { imageStoreId, name: `matrix-store-${suffix}`, zoneId, path: '/srv/matrix-images', capacityBytes: 100 * GiB, freeBytes: 50 * GiB }, null);
    await emit(topics.backupEvents, 'BackupTargetAdded', targetId, 1, { targetId, name: `matrix-target-${suffix}`, kind: 'directory', config: { path: '/srv/matrix-backups' } }, null);
    for (const [id, tenant] of [[volume, tenantA], [volumeB, tenantB]] as const) {
      const backendName = `vol-${id}`;
      await emit(storage, 'VolumeCreationRequested', id, 1, { volumeId: id, name: `v-${tenant}`, poolId, sizeBytes: 2 * GiB, volumeType: 'DATA', backendName }, tenant);
      await emit(storage, 'VolumeCreated', id, 2, { volumeId: id, poolId, backendName, sizeBytes: 2 * GiB, path: `/srv/matrix/${backendName}` }, tenant);
    }
    for (const path of [`/pools/${poolId}`, `/pools/${storpoolPoolId}`, `/hosts/${hostId}`, `/image-stores/${imageStoreId}`, `/backup-targets/${targetId}`, `/volumes/${volume}`, `/volumes/${volumeB}`]) {
      await visible(path);
    }

    // Tenant A's resources on its volume.
    const snapshotEvents = topics.snapshotEvents;
    await emit(snapshotEvents, 'SnapshotRequested', snapshot, 1, { snapshotId: snapshot, volumeId: volume, name: 'matrix-snap', poolId, volumeBackendName: `vol-${volume}`, backendName: `snap-${snapshot}`, policyId: null, dueAt: null }, tenantA);
    await emit(snapshotEvents, 'SnapshotCreated', snapshot, 2, { snapshotId: snapshot, volumeId: volume, sizeBytes: 2 * GiB }, tenantA);
    const members = [{ volumeId: volume, poolId, volumeBackendName: `vol-${volume}`, snapshotBackendName: `vol-${volume}@vms-${vmSnapshot}` }];
    await emit(snapshotEvents, 'VmSnapshotRequested', vmSnapshot, 1, { vmSnapshotId: vmSnapshot, vmId: `vm-${suffix}`, name: 'matrix-vms', groupName: `vms-${vmSnapshot}`, members }, tenantA);
    await emit(snapshotEvents, 'VmSnapshotCreated', vmSnapshot, 2, { vmSnapshotId: vmSnapshot, vmId: `vm-${suffix}`, members: [{ volumeId: volume, snapshotBackendName: members[0].snapshotBackendName, sizeBytes: GiB }] }, tenantA);
    await emit(snapshotEvents, 'SnapshotPolicyCreated', policy, 1, { policyId: policy, volumeId: volume, schedule: { kind: 'daily', time: '02:30', timeZone: 'UTC' }, retention: 3, createdAt: new Date().toISOString() }, tenantA);
    const images = topics.imageEvents;
    await emit(images, 'TemplateRegistrationRequested', template, 1, {
      templateId: template, name: `matrix-tpl-${suffix}`, kind: 'template', format: 'qcow2', zoneId, imageStoreId,
      source: { kind: 'url', url: 'https://images.example/matrix.qcow2' }, checksum: null, osType: null, description: null, public: false,
    }, tenantA);
    await emit(images, 'TemplateRegistered', template, 2, {
      templateId: template, imageStoreId, zoneId, file: `templates/${template}.qcow2`, format: 'qcow2', virtualSizeBytes: GiB, physicalSizeBytes: MiB, sha256: 'ab'.repeat(32),
    }, tenantA);
    const backups = topics.backupEvents;
    await emit(backups, 'BackupRequested', backup, 1, { backupId: backup, volumeId: volume, targetId, snapshotId: randomUUID(), snapshotTaken: true, kind: 'full', parentBackupId: null, chunkSizeBytes: 4 * MiB, poolId, sizeBytes: 2 * GiB }, tenantA);
    await emit(backups, 'BackupCompleted', backup, 2, { backupId: backup, volumeId: volume, sizeBytes: 2 * GiB, chunks: 1, newChunks: 1, reusedChunks: 0, zeroChunks: 0, bytesWritten: MiB, manifestSha256: 'cd'.repeat(32) }, tenantA);
    await emit(backups, 'BackupScheduleCreated', schedule, 1, { scheduleId: schedule, volumeId: volume, targetId, schedule: { kind: 'daily', time: '02:30', timeZone: 'UTC' }, retention: 7 }, tenantA);
    await emit(backups, 'RestoreRequested', restore, 1, { restoreId: restore, backupId: backup, volumeId: randomUUID(), mode: 'new', poolId, sizeBytes: 2 * GiB }, tenantA);
    for (const path of [`/snapshots/${snapshot}`, `/vm-snapshots/${vmSnapshot}`, `/snapshot-policies/${policy}`, `/templates/${template}`, `/backups/${backup}`, `/backup-schedules/${schedule}`, `/restores/${restore}`]) {
      await visible(path);
    }
    await until('the template ready', async () => ((await call('GET', `/templates/${template}`, 'admin')).body?.status === 'ready' ? true : undefined));
    await until('the backup completed', async () => ((await call('GET', `/backups/${backup}`, 'admin')).body?.status === 'completed' ? true : undefined));

    // A job of tenant A's: its own command, by its own key.
    const taken = await call('POST', `/volumes/${volume}/snapshots`, 'tenant A', { name: 'matrix-job' });
    expect([taken.status, taken.body]).toEqual([202, { jobId: expect.any(String), snapshotId: expect.any(String) }]);

    const spare = await createKey(`matrix-spare-${suffix}`, 'tenant', tenantB);
    return {
      tenantA,
      tenantB,
      zoneId,
      poolId,
      storpoolPoolId,
      hostId,
      imageStoreId,
      targetId,
      spareKeyId: spare.id,
      volumeB,
      owned: { volume, snapshot, vm_snapshot: vmSnapshot, snapshot_policy: policy, backup, backup_schedule: schedule, restore, template, job: taken.body.jobId },
    };
  }

  beforeAll(async () => {
    infra = await createTestInfra('accessmatrix');
    useInfraEnv(infra);
    process.env.STRATA_BOOTSTRAP_ADMIN_KEY = ADMIN_KEY;
    topics = topicNames(infra.topicPrefix);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpOpenApi(app);
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'orchestrator-access-matrix-int' });

    authorization.operator = `Bearer ${(await createKey(`matrix-operator-${suffix}`, 'operator')).key}`;
    authorization['tenant A'] = `Bearer ${(await createKey(`matrix-a-${suffix}`, 'tenant', tenantA)).key}`;
    authorization['tenant B'] = `Bearer ${(await createKey(`matrix-b-${suffix}`, 'tenant', tenantB)).key}`;
    const revoked = await createKey(`matrix-revoked-${suffix}`, 'operator');
    const revocation = await call('DELETE', `/api-keys/${revoked.id}`, 'admin');
    expect([revocation.status, revocation.body.revokedAt]).toEqual([200, expect.any(String)]);
    authorization['revoked key'] = `Bearer ${revoked.key}`;

    fixture = await makeResources();
    served = nestRoutes(app);
  }, 180_000);

  afterAll(async () => {
    delete process.env.STRATA_BOOTSTRAP_ADMIN_KEY;
    await bus?.close();
    await app?.close();
    await infra?.dispose();
  });

  it('has every route the app serves classified in the table, and no route the app does not serve', async () => {
    // Nest's controllers are the source; the OpenAPI document (same config as /docs) must be a part of them.
    const doc = (await call('GET', '/docs-json', 'no key').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.length).toBeGreaterThan(80);
    expect(documented.filter((key) => !served.includes(key))).toEqual([]);

    // A new endpoint lands here until it is given its class (and a body it accepts) in testing/access-matrix.spec.ts.
    expect({ unclassified: served.filter((key) => !(key in ROUTES)) }).toEqual({ unclassified: [] });
    const stale = Object.entries(ROUTES).filter(([key, rule]) => !rule.outsideNest && !served.includes(key)).map(([key]) => key);
    expect({ notServed: stale }).toEqual({ notServed: [] });
  });

  type Outcome = '401' | '403' | 'allowed';

  /** What the contract says a caller gets on a route of this class; null where it says nothing (a bad key on a public route). */
  function expectedOutcome(access: Access, caller: CallerName): Outcome | null {
    const bad = BAD_CALLERS.includes(caller);
    if (access === 'public') return bad && caller !== 'no key' ? null : 'allowed';
    if (bad) return '401';
    if (access === 'any') return 'allowed';
    if (access === 'staff') return caller === 'admin' || caller === 'operator' ? 'allowed' : '403';
    return caller === 'admin' ? 'allowed' : '403';
  }

  interface Cell {
    key: RouteKey;
    label: string;
    caller: CallerName;
    outcome: Outcome;
    method: string;
    path: string;
    body?: object;
    variant?: Variant;
  }

  function cellsOf(key: RouteKey): Cell[] {
    const rule = ROUTES[key];
    const method = key.split(' ')[0];
    const requests = [
      { label: key, access: rule.access, path: concretePath(key, fixture), body: rule.body?.(fixture), variant: undefined as Variant | undefined },
      ...(rule.variants ?? []).map((variant) => ({
        label: `${key} with ${variant.label}`,
        access: variant.access,
        path: concretePath(key, fixture, variant.id?.(fixture)),
        body: variant.body(fixture),
        variant,
      })),
    ];
    return requests.flatMap((r) =>
      CALLERS.flatMap((caller) => {
        const outcome = expectedOutcome(r.access, caller);
        return outcome === null ? [] : [{ key, label: r.label, caller, outcome, method, path: r.path, body: r.body, variant: r.variant }];
      }),
    );
  }

  /** Why a response breaks the contract for its cell, or null. */
  function judge(cell: Cell, res: request.Response): string | null {
    const got = `${res.status} ${res.body?.code ?? ''}`.trim();
    const fail = (expected: string) => `${cell.label} as ${cell.caller}: expected ${expected}, got ${got}${res.body?.message ? ` (${res.body.message})` : ''}`;
    if (cell.outcome === '401') {
      const code = cell.caller === 'no key' ? /^auth\.missing_key$/ : cell.caller === 'malformed key' ? /^auth\.(invalid|missing)_key$/ : /^auth\.invalid_key$/;
      if (res.status !== 401 || !code.test(res.body?.code ?? '')) return fail(`401 ${code.source.replace(/[\\^$]/g, '')}`);
      if (!/^Bearer\b/.test(String(res.headers['www-authenticate'] ?? ''))) return fail('401 with WWW-Authenticate: Bearer');
      return null;
    }
    if (cell.outcome === '403') {
      if (res.status !== 403 || res.body?.code !== 'auth.forbidden') return fail('403 auth.forbidden');
      if (!/admin/.test(res.body.message ?? '')) return fail('403 naming the roles that may (admin)');
      // A credential operation names the field that makes it one (only the operator is refused for it alone).
      if (cell.variant && cell.caller === 'operator' && !cell.variant.names.test(res.body.message)) return fail(`403 naming ${cell.variant.names.source}`);
      return null;
    }
    if (res.status === 401 || res.status === 403) return fail('allowed (not 401/403)');
    if (res.status >= 500) return fail('allowed, without a server error');
    if (ROUTES[cell.key].access === 'public' && res.status >= 400) return fail('an answer (public)');
    const kind = ownedKindOf(cell.key);
    if (kind && cell.caller === 'tenant B') {
      return res.status === 404 && res.body?.code === `${kind}.not_found` ? null : fail(`404 ${kind}.not_found (tenant A's ${kind})`);
    }
    // Every id the requests name exists for this caller: tenant A's own resource, or a shared one.
    if (/\{.+\}/.test(cell.key) && res.status === 404) return fail('not 404: the id exists for this caller');
    return null;
  }

  async function runCells(cells: Cell[]): Promise<string[]> {
    const failures: string[] = [];
    for (let i = 0; i < cells.length; i += 24) {
      const batch = cells.slice(i, i + 24);
      const results = await Promise.all(batch.map((cell) => call(cell.method, cell.path, cell.caller, cell.body)));
      batch.forEach((cell, j) => {
        const failure = judge(cell, results[j]);
        if (failure) failures.push(failure);
      });
    }
    return failures;
  }

  /** The admin's calls that change the read models, made by the last test. */
  let deferred: Cell[] = [];

  it('answers every route x caller as its class says: 401 without a valid key, 403 auth.forbidden for a role not allowed, the handler otherwise; tenant B gets 404 on tenant A\'s resources', async () => {
    const routes = [...served.filter((key) => key in ROUTES), ...Object.keys(ROUTES).filter((key) => ROUTES[key].outsideNest)];
    const cells = routes.flatMap(cellsOf);
    deferred = cells.filter((c) => ROUTES[c.key].last && c.outcome === 'allowed');
    const now = cells.filter((c) => !deferred.includes(c));
    const failures = await runCells(now);
    const variants = routes.reduce((n, key) => n + (ROUTES[key].variants?.length ?? 0), 0);
    // Tenant B on a route naming one of tenant A's resources: every kind of tenant resource is tried.
    const crossTenant = cells.filter((c) => c.caller === 'tenant B' && c.outcome === 'allowed' && ownedKindOf(c.key) !== null);
    console.log(
      `access matrix: ${routes.length} routes (+${variants} credential variants) x ${CALLERS.length} callers = ${cells.length} checks ` +
        `(bad keys are not judged on the ${routes.filter((k) => ROUTES[k].access === 'public').length} public routes), ` +
        `${crossTenant.length} of them tenant B on tenant A's resources; ${failures.length} failed`,
    );
    expect(cells.length).toBeGreaterThan(600);
    expect([...new Set(crossTenant.map((c) => ownedKindOf(c.key)))].sort()).toEqual(Object.keys(fixture.owned).sort());
    expect(failures).toEqual([]);
  });

  it('answers an unknown and a revoked key alike', async () => {
    const unknown = await call('GET', '/volumes', 'unknown key');
    const revoked = await call('GET', '/volumes', 'revoked key');
    expect([unknown.status, revoked.status]).toEqual([401, 401]);
    expect(revoked.body).toEqual(unknown.body);
    expect(unknown.body).toEqual({ statusCode: 401, code: 'auth.invalid_key', message: expect.any(String) });
  });

  it("refuses tenant A's resources in the body of a tenant B request with the resource's not-found code", async () => {
    const res = await call('POST', '/vm-snapshots', 'tenant B', { vmId: `vm-b-${suffix}`, volumeIds: [fixture.owned.volume], name: 'stolen' });
    expect([res.status, res.body.code]).toEqual([404, 'volume.not_found']);
  });

  /** Every list a tenant reads: its path, the kind of tenant A's resource it could list, tenant B's own id where it has one. */
  const lists = (f: Fixture): [string, OwnedKind, string | null][] => [
    ['/volumes', 'volume', f.volumeB],
    ['/snapshots', 'snapshot', null],
    ['/vm-snapshots', 'vm_snapshot', null],
    ['/snapshot-policies', 'snapshot_policy', null],
    ['/backups', 'backup', null],
    ['/backup-schedules', 'backup_schedule', null],
    ['/templates', 'template', null],
    ['/jobs', 'job', null],
    [`/volumes/${f.volumeB}/snapshots`, 'snapshot', null],
    [`/volumes/${f.volumeB}/snapshot-policies`, 'snapshot_policy', null],
  ];
  const idsOf = (res: request.Response): string[] => (res.body?.items ?? []).map((item: { id: string }) => item.id);
  const ownedIds = () => Object.values(fixture.owned);

  it("lists tenant A's resources to tenant A and to the admin, never to tenant B (nor with X-Tenant naming A)", async () => {
    const failures: string[] = [];
    for (const [path, kind, ownB] of lists(fixture)) {
      const [forB, forBAsA, forA, forAdmin] = await Promise.all([
        call('GET', `${path}?limit=500`, 'tenant B'),
        call('GET', `${path}?limit=500`, 'tenant B', undefined, { 'X-Tenant': tenantA }),
        call('GET', `${path}?limit=500`, 'tenant A'),
        call('GET', `${path}?limit=500`, 'admin'),
      ]);
      for (const [who, res] of [['tenant B', forB], ['tenant B with X-Tenant A', forBAsA]] as const) {
        if (res.status !== 200) failures.push(`GET ${path} as ${who}: ${res.status} ${res.body?.code}`);
        const leaked = idsOf(res).filter((id) => ownedIds().includes(id));
        if (leaked.length) failures.push(`GET ${path} as ${who} lists tenant A's ${leaked.join(', ')}`);
        if (ownB && !idsOf(res).includes(ownB)) failures.push(`GET ${path} as ${who} misses tenant B's own ${ownB}`);
      }
      if (!path.startsWith(`/volumes/${fixture.volumeB}`)) {
        if (!idsOf(forA).includes(fixture.owned[kind])) failures.push(`GET ${path} as tenant A misses its ${kind} ${fixture.owned[kind]}`);
        if (!idsOf(forAdmin).includes(fixture.owned[kind])) failures.push(`GET ${path} as admin misses tenant A's ${kind}`);
        if (ownB && idsOf(forA).includes(ownB)) failures.push(`GET ${path} as tenant A lists tenant B's ${ownB}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('ignores X-Tenant on a tenant key; an admin or operator key acts for the tenant X-Tenant names', async () => {
    const path = `/volumes/${fixture.owned.volume}`;
    const answers = await Promise.all([
      call('GET', path, 'tenant B', undefined, { 'X-Tenant': tenantA }),
      call('GET', path, 'tenant A', undefined, { 'X-Tenant': tenantB }),
      call('GET', path, 'admin', undefined, { 'X-Tenant': tenantB }),
      call('GET', path, 'operator', undefined, { 'X-Tenant': tenantB }),
      call('GET', path, 'operator', undefined, { 'X-Tenant': tenantA }),
      call('GET', path, 'admin'),
    ]);
    expect(answers.map((res) => `${res.status} ${res.body.code ?? res.body.id}`)).toEqual([
      '404 volume.not_found',
      `200 ${fixture.owned.volume}`,
      '404 volume.not_found',
      '404 volume.not_found',
      `200 ${fixture.owned.volume}`,
      `200 ${fixture.owned.volume}`,
    ]);
    const forB = await call('GET', '/volumes?limit=500', 'admin', undefined, { 'X-Tenant': tenantB });
    expect(idsOf(forB)).toEqual([fixture.volumeB]);
  });

  it("lets the admin make the calls that change the read models, last; tenants stay apart after them", async () => {
    expect(await runCells(deferred)).toEqual([]);
    const path = `/volumes/${fixture.owned.volume}`;
    // A rebuild may take a moment to bring the volume back; tenant B never sees it meanwhile.
    await until('tenant A sees its volume', async () => ((await call('GET', path, 'tenant A')).status === 200 ? true : undefined));
    const forB = await call('GET', path, 'tenant B');
    expect([forB.status, forB.body.code]).toEqual([404, 'volume.not_found']);
  });
});
