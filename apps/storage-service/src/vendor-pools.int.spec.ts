import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import {
  startLinstorSimulator,
  startPowerFlexSimulator,
  startStorPoolSimulator,
  type LinstorSimulator,
  type PowerFlexSimulator,
  type StorPoolSimulator,
} from '@strata/backends';
import { commandEnvelope } from '@strata/testing';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

const PASSWORD = 'Sc4le-io!sekrit';
const SP_TOKEN = '4815162342sptoken';

/**
 * A vendor pool added by its seed URL, with credentials, against the vendor simulator:
 * the storage service must use it like a file pool and never record the password.
 */
describe('storage service with a PowerFlex pool given by URL', () => {
  let h: StorageHarness;
  let sim: PowerFlexSimulator;
  let linstor: LinstorSimulator;
  let storpool: StorPoolSimulator;
  let dataDir: string;

  const send = (aggregateId: string, value: unknown) => h.sendRaw(aggregateId, JSON.stringify(value));
  const eventFor = (type: string, causationId: string) => h.eventFor(type, causationId);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'strata-pflex-'));
    sim = await startPowerFlexSimulator({ port: 0, dataDir: path.join(dataDir, 'powerflex'), username: 'admin', password: PASSWORD });
    linstor = await startLinstorSimulator({ port: 0, dataDir: path.join(dataDir, 'linstor'), token: PASSWORD });
    storpool = await startStorPoolSimulator({ port: 0, dataDir: path.join(dataDir, 'storpool'), authToken: SP_TOKEN });
    h = await startStorageHarness('vendorpools');
  });

  afterAll(async () => {
    await h?.close();
    await sim?.close();
    await linstor?.close();
    await storpool?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('adds the pool from its URL, creates and deletes a volume with the vendor rules, and keeps the password out of the log', async () => {
    const { port } = new URL(sim.url);
    const poolId = randomUUID();
    const add = commandEnvelope('AddStoragePool', poolId, {
      name: 'pflex-1',
      plugin: 'powerflex',
      zoneId: 'zone-1',
      url: `powerflex://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/pool1?protocol=http`,
    });
    await send(poolId, add);
    const added = await eventFor('StoragePoolAdded', add.messageId);
    expect(added.data).toMatchObject({ plugin: 'powerflex', config: { username: 'admin', password: '***', storagePool: 'pool1' } });
    expect((added.data as { capacityBytes: number }).capacityBytes).toBeGreaterThan(0);

    // 1 GiB asked, 8 GiB made: PowerFlex allocates in 8 GiB blocks, and the event says what was made.
    const volumeId = randomUUID();
    const create = commandEnvelope('CreateVolume', volumeId, { name: 'pf-data', poolId, sizeBytes: 2 ** 30 });
    await send(volumeId, create);
    const created = await eventFor('VolumeCreated', create.messageId);
    const { backendName, sizeBytes } = created.data as { backendName: string; sizeBytes: number };
    expect(sizeBytes).toBe(8 * 2 ** 30);
    expect(backendName.length).toBeLessThanOrEqual(31);
    expect(backendName).toMatch(/^vol-[0-9a-f]{16,}-[0-9a-z]{4}-[0-9a-z]+$/);

    const del = commandEnvelope('DeleteVolume', volumeId, {});
    await send(volumeId, del);
    await eventFor('VolumeDeleted', del.messageId);

    // Neither the events table, the outbox nor the published events hold the password.
    const ds = h.app.get(DataSource);
    const stored = await ds.query(`SELECT data::text AS d FROM "storage".events UNION ALL SELECT payload::text FROM "storage".outbox`);
    expect(stored.length).toBeGreaterThan(0);
    for (const row of stored) expect(row.d).not.toContain(PASSWORD);
    expect(JSON.stringify(h.events)).not.toContain(PASSWORD);
    const [{ sealed }] = await ds.query(`SELECT sealed FROM "storage".pool_secrets WHERE pool_id = $1`, [poolId]);
    expect(sealed).not.toContain(PASSWORD);
  });

  it('rejects a pool URL with a bad part, naming it, without echoing the password', async () => {
    const poolId = randomUUID();
    const add = commandEnvelope('AddStoragePool', poolId, {
      name: 'pflex-bad',
      plugin: 'powerflex',
      zoneId: 'zone-1',
      url: `powerflex://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/`,
    });
    await send(poolId, add);
    const rejected = await eventFor('CommandRejected', add.messageId);
    const data = rejected.data as { violations: { field: string }[]; error: { message: string } };
    expect(data.violations.map((v) => v.field)).toContain('data.url.storagePool');
    expect(JSON.stringify(rejected)).not.toContain(PASSWORD);
  });

  it('rejects a pool whose gateway refuses the credentials, saying authentication failed', async () => {
    const { port } = new URL(sim.url);
    const poolId = randomUUID();
    const add = commandEnvelope('AddStoragePool', poolId, {
      name: 'pflex-wrong',
      plugin: 'powerflex',
      zoneId: 'zone-1',
      url: `powerflex://admin:wrong-password@127.0.0.1:${port}/pool1?protocol=http`,
    });
    await send(poolId, add);
    const rejected = await eventFor('CommandRejected', add.messageId);
    expect((rejected.data as { error: { message: string } }).error.message).toMatch(/auth|login|credential/i);
    expect(JSON.stringify(rejected)).not.toContain('wrong-password');
  });

  it('adds a LINSTOR pool from its controller URL with a resource group, and spawns a volume there', async () => {
    const { port } = new URL(linstor.url);
    const poolId = randomUUID();
    const add = commandEnvelope('AddStoragePool', poolId, {
      name: 'linstor-1',
      plugin: 'linstor',
      zoneId: 'zone-1',
      url: `linstor://${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/strata-rg`,
    });
    await send(poolId, add);
    const added = await eventFor('StoragePoolAdded', add.messageId);
    expect(JSON.stringify(added)).not.toContain(PASSWORD);

    const volumeId = randomUUID();
    const create = commandEnvelope('CreateVolume', volumeId, { name: 'ls-data', poolId, sizeBytes: 64 * 2 ** 20 });
    await send(volumeId, create);
    const created = await eventFor('VolumeCreated', create.messageId);
    expect(created.data).toMatchObject({ sizeBytes: 64 * 2 ** 20, backendName: expect.stringMatching(/^cs-/) });
    const del = commandEnvelope('DeleteVolume', volumeId, {});
    await send(volumeId, del);
    await eventFor('VolumeDeleted', del.messageId);
  });

  it('adds a StorPool pool from the SP_API_HTTP form, and creates a volume in its template', async () => {
    const poolId = randomUUID();
    const add = commandEnvelope('AddStoragePool', poolId, {
      name: 'storpool-1',
      plugin: 'storpool',
      zoneId: 'zone-1',
      url: `SP_API_HTTP=127.0.0.1:${storpool.port};SP_AUTH_TOKEN=${SP_TOKEN};SP_TEMPLATE=nvme`,
    });
    await send(poolId, add);
    const added = await eventFor('StoragePoolAdded', add.messageId);
    expect(JSON.stringify(added)).not.toContain(SP_TOKEN);

    const volumeId = randomUUID();
    const create = commandEnvelope('CreateVolume', volumeId, { name: 'sp-data', poolId, sizeBytes: 10 * 2 ** 20 + 100 });
    await send(volumeId, create);
    const created = await eventFor('VolumeCreated', create.messageId);
    // Rounded up to StorPool's 512-byte rule before it was recorded.
    expect((created.data as { sizeBytes: number }).sizeBytes % 512).toBe(0);
    const del = commandEnvelope('DeleteVolume', volumeId, {});
    await send(volumeId, del);
    await eventFor('VolumeDeleted', del.messageId);
  });
});
