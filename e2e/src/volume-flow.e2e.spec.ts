import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { topics as topicNames, type Envelope } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, infraEnv, type TestInfra } from '@strata/testing';

interface RunningService {
  name: string;
  url: string;
}
interface ServicesModule {
  startServices(options: { env: Record<string, string>; logDir: string }): Promise<RunningService[]>;
  stopServices(running: RunningService[]): Promise<void>;
}

const PORT_BASE = 18080; // away from `npm start`'s 8080-8084, so both can run at once
const SIZE = 256 * 2 ** 20;

/**
 * The whole system as separate processes on the real Kafka and PostgreSQL: a pool added
 * through REST, a volume created by a command published straight to Kafka (as a cloud
 * platform would), found on disk and through REST, then deleted through REST.
 */
describe('first volume flow, end to end', () => {
  let infra: TestInfra;
  let services: RunningService[] = [];
  let lib: ServicesModule;
  let bus: KafkaMessageBus;
  let sub: Subscription;
  let poolDir: string;
  const events: Envelope[] = [];
  const api = `http://127.0.0.1:${PORT_BASE}`;
  // The orchestrator's bootstrap admin key (STRATA_BOOTSTRAP_ADMIN_KEY), sent with every REST call.
  const ADMIN_KEY = `stk_${randomBytes(32).toString('base64url')}`;

  const http = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const jobDone = (jobId: string) =>
    eventually(`job ${jobId} to finish`, async () => {
      const { status, body } = await http('GET', `/jobs/${jobId}`);
      return status === 200 && (body.status === 'succeeded' || body.status === 'failed') ? body : undefined;
    });

  beforeAll(async () => {
    infra = await createTestInfra('e2e');
    poolDir = await mkdtemp(path.join(tmpdir(), 'strata-e2e-pool-'));
    lib = (await import(path.join(__dirname, '..', '..', 'scripts', 'lib', 'services.mjs'))) as ServicesModule;
    services = await lib.startServices({
      env: {
        ...infraEnv(infra),
        STRATA_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
        ORCHESTRATOR_PORT: String(PORT_BASE),
        STORAGE_SERVICE_PORT: String(PORT_BASE + 1),
        SNAPSHOT_SERVICE_PORT: String(PORT_BASE + 2),
        BACKUP_SERVICE_PORT: String(PORT_BASE + 3),
        IMAGE_SERVICE_PORT: String(PORT_BASE + 4),
      },
      logDir: path.join(__dirname, '..', '..', '.strata', 'logs', `e2e-${infra.topicPrefix.replace(/\W/g, '')}`),
    });
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'e2e' });
    sub = await bus.subscribe({
      groupId: `${infra.topicPrefix}e2e-observer`,
      topics: [topicNames(infra.topicPrefix).storageEvents],
      handle: async (m) => {
        events.push(JSON.parse(m.value!.toString('utf8')));
      },
    });
  });

  afterAll(async () => {
    await sub?.stop();
    await bus?.close();
    if (lib) await lib.stopServices(services);
    await infra?.dispose();
    if (poolDir) await rm(poolDir, { recursive: true, force: true });
  });

  it('starts five services that each answer /health', async () => {
    expect(services.map((s) => s.name).sort()).toEqual(
      ['backup-service', 'image-service', 'orchestrator', 'snapshot-service', 'storage-service'],
    );
    for (const svc of services) {
      const res = await fetch(`${svc.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', service: svc.name });
    }
  });

  it('creates a volume from Kafka to disk to REST, and deletes it', async () => {
    // A pool, through the REST API.
    const addPool = await http('POST', '/pools', { name: 'e2e-pool', plugin: 'file', zoneId: 'zone-1', tags: ['e2e'], config: { path: poolDir } });
    expect(addPool.status).toBe(202);
    const poolJob = await jobDone(addPool.body.jobId);
    expect(poolJob.status).toBe('succeeded');
    const poolId: string = addPool.body.poolId;

    // A volume, by a command published straight to the Kafka command topic.
    const volumeId = randomUUID();
    const commandId = randomUUID();
    const command = commandEnvelope('CreateVolume', volumeId, { name: 'e2e-data-1', poolId, sizeBytes: SIZE }, { messageId: commandId });
    await bus.publish([{ topic: topicNames(infra.topicPrefix).storageCommands, key: volumeId, value: JSON.stringify(command) }]);

    const created = await eventually('VolumeCreated', async () =>
      events.find((e) => e.type === 'VolumeCreated' && e.aggregateId === volumeId),
    );
    const filePath = (created.data as { path: string }).path;
    expect(path.dirname(filePath)).toBe(poolDir);
    const info = await stat(filePath);
    expect(info.size).toBe(SIZE);
    expect(info.blocks * 512).toBeLessThan(SIZE / 100); // sparse: nothing written

    // The same volume through REST, once the projection has caught up.
    const volume = await eventually('the volume in the read model', async () => {
      const res = await http('GET', `/volumes/${volumeId}`);
      return res.status === 200 && res.body.status === 'ready' ? res.body : undefined;
    });
    expect(volume).toMatchObject({ id: volumeId, poolId, sizeBytes: SIZE, name: 'e2e-data-1', tenant: 'acme' });
    const listed = await http('GET', `/volumes?poolId=${poolId}`);
    expect(listed.body.items.map((v: { id: string }) => v.id)).toContain(volumeId);
    const job = await jobDone(commandId);
    expect(job).toMatchObject({ status: 'succeeded', commandType: 'CreateVolume' });

    // Delete through REST: the file goes, and the history tells the whole story in order.
    const del = await http('DELETE', `/volumes/${volumeId}`);
    expect(del.status).toBe(202);
    expect((await jobDone(del.body.jobId)).status).toBe('succeeded');
    await expect(stat(filePath)).rejects.toMatchObject({ code: 'ENOENT' });
    const history = await eventually('the full history', async () => {
      const res = await http('GET', `/volumes/${volumeId}/events`);
      const items = (res.body?.items ?? res.body) as { type: string }[];
      return Array.isArray(items) && items.length === 4 ? items : undefined;
    });
    expect(history.map((e) => e.type)).toEqual([
      'VolumeCreationRequested',
      'VolumeCreated',
      'VolumeDeletionRequested',
      'VolumeDeleted',
    ]);
    const gone = await http('GET', `/volumes/${volumeId}`);
    expect(gone.body.status).toBe('deleted');
  });

  it('answers a bad REST request with 400 naming the field and rule, and a bad Kafka command with a failed job', async () => {
    const bad = await http('POST', '/volumes', { name: 'x', poolId: randomUUID(), sizeBytes: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.violations).toContainEqual(expect.objectContaining({ field: 'sizeBytes', rule: 'min' }));

    const commandId = randomUUID();
    const volumeId = randomUUID();
    await bus.publish([
      {
        topic: topicNames(infra.topicPrefix).storageCommands,
        key: volumeId,
        value: JSON.stringify(
          commandEnvelope('CreateVolume', volumeId, { name: 'y', poolId: randomUUID(), sizeBytes: 'ten' }, { messageId: commandId, tenant: null }),
        ),
      },
    ]);
    const job = await jobDone(commandId);
    expect(job.status).toBe('failed');
    expect(job.error.violations).toContainEqual(expect.objectContaining({ field: 'data.sizeBytes', rule: 'isInt' }));
  });

  it('takes, reverts and deletes a snapshot through REST, across the storage and snapshot services', async () => {
    const addPool = await http('POST', '/pools', { name: 'e2e-snap-pool', plugin: 'file', zoneId: 'zone-1', config: { path: path.join(poolDir, 'snap') } });
    expect((await jobDone(addPool.body.jobId)).status).toBe('succeeded');
    const create = await http('POST', '/volumes', { name: 'e2e-snapped', poolId: addPool.body.poolId, sizeBytes: 4 * 2 ** 20 });
    expect((await jobDone(create.body.jobId)).status).toBe('succeeded');
    const volume = await eventually('the volume ready', async () => {
      const res = await http('GET', `/volumes/${create.body.volumeId}`);
      return res.body?.status === 'ready' ? res.body : undefined;
    });
    const write = async (text: string) => {
      const handle = await open(volume.path, 'r+');
      await handle.write(Buffer.from(text), 0, text.length, 2 ** 20);
      await handle.close();
    };
    const read = async () => (await readFile(volume.path)).subarray(2 ** 20, 2 ** 20 + 16).toString();
    await write('before snapshot!');

    // The snapshot service learns of the volume from the storage events; its first answer may come before that.
    const snapshot = await eventually('a snapshot taken', async () => {
      const taken = await http('POST', `/volumes/${volume.id}/snapshots`, { name: 'e2e-snap' });
      const job = await jobDone(taken.body.jobId);
      return job.status === 'succeeded' ? taken.body : undefined;
    });
    await eventually('the snapshot ready in the read model', async () => ((await http('GET', `/snapshots/${snapshot.snapshotId}`)).body?.status === 'ready' ? true : undefined));

    await write('after snapshot!!');
    const revert = await http('POST', `/snapshots/${snapshot.snapshotId}/revert`);
    expect((await jobDone(revert.body.jobId)).status).toBe('succeeded');
    expect(await read()).toBe('before snapshot!');

    // The storage service reads the volume's snapshots from the backend before deleting it.
    const refused = await http('DELETE', `/volumes/${volume.id}`);
    const refusal = await jobDone(refused.body.jobId);
    expect(refusal).toMatchObject({ status: 'failed', error: { code: 'volume.has_snapshots' } });
    const deleted = await http('DELETE', `/volumes/${volume.id}?deleteSnapshots=true`);
    expect((await jobDone(deleted.body.jobId)).status).toBe('succeeded');
    await expect(stat(volume.path)).rejects.toMatchObject({ code: 'ENOENT' });
    // The snapshot service hears of the deletion and records the snapshot gone with it.
    await eventually('the snapshot deleted with its volume', async () =>
      (await http('GET', `/snapshots/${snapshot.snapshotId}`)).body?.status === 'deleted' ? true : undefined,
    );
  });
});
