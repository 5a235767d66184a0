import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { createServiceDataSource, initializeServiceDataSource, PgEventStore, type PendingEvent } from '@strata/event-store';
import { createTestInfra, eventually, useInfraEnv, type TestInfra } from '@strata/testing';
import { AppModule } from './app.module';
import { SCHEMA } from './storage.constants';

/**
 * A crash at each point of a volume operation, left in the log as a real crash leaves it,
 * then a service start: recovery must bring every volume to an outcome, once.
 */
describe('volume recovery after a crash', () => {
  let infra: TestInfra;
  let ds: DataSource;
  let store: PgEventStore;
  let app: INestApplication | undefined;
  let poolDir: string;
  const poolId = randomUUID();

  const event = (aggregateId: string, type: string, data: object): PendingEvent => ({
    messageId: randomUUID(),
    type,
    schemaVersion: 1,
    aggregateId,
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    correlationId: 'crash-test',
    causationId: randomUUID(),
    tenant: null,
    data,
  });
  const history = async (volumeId: string) => (await store.readStream(`volume-${volumeId}`)).map((e) => e.envelope.type);
  const fileOf = (volumeId: string) => path.join(poolDir, `vol-${volumeId}.raw`);

  beforeAll(async () => {
    infra = await createTestInfra('recovery');
    poolDir = await mkdtemp(path.join(tmpdir(), 'strata-recovery-'));
    ds = await initializeServiceDataSource(createServiceDataSource({ url: infra.databaseUrl, schema: SCHEMA }));
    store = new PgEventStore(ds, SCHEMA);
    await store.append(`pool-${poolId}`, 0, [
      event(poolId, 'StoragePoolAdded', {
        poolId,
        name: 'p',
        plugin: 'file',
        zoneId: 'z',
        clusterId: null,
        tags: [],
        config: { path: poolDir },
        capacityBytes: 1,
        usedBytes: 0,
      }),
    ]);
  });

  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
    await infra?.dispose();
    await rm(poolDir, { recursive: true, force: true });
  });

  it('finishes creations and deletions that a crash interrupted', async () => {
    const size = 8 * 2 ** 20;
    const requested = (id: string) =>
      event(id, 'VolumeCreationRequested', { volumeId: id, name: 'v', poolId, sizeBytes: size, volumeType: 'DATA', backendName: `vol-${id}` });

    // Crash after the intent, before the backend call: no file yet.
    const beforeCall = randomUUID();
    await store.append(`volume-${beforeCall}`, 0, [requested(beforeCall)]);
    // Crash after the backend call, before the outcome: the file exists.
    const afterCall = randomUUID();
    await store.append(`volume-${afterCall}`, 0, [requested(afterCall)]);
    await writeFile(fileOf(afterCall), '');
    await truncate(fileOf(afterCall), size);
    // Crash in the middle of the backend call: open() made the file, ftruncate never ran.
    const midCall = randomUUID();
    await store.append(`volume-${midCall}`, 0, [requested(midCall)]);
    await writeFile(fileOf(midCall), '');
    // Crash after a deletion intent, before the unlink.
    const deleting = randomUUID();
    await store.append(`volume-${deleting}`, 0, [
      requested(deleting),
      event(deleting, 'VolumeCreated', { volumeId: deleting, poolId, backendName: `vol-${deleting}`, sizeBytes: size, path: fileOf(deleting) }),
      event(deleting, 'VolumeDeletionRequested', { volumeId: deleting, poolId, backendName: `vol-${deleting}` }),
    ]);
    await writeFile(fileOf(deleting), '');

    useInfraEnv(infra);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();

    for (const id of [beforeCall, afterCall, midCall]) {
      await eventually(`recovery of ${id}`, async () => ((await history(id)).length === 2 ? true : undefined));
      expect(await history(id)).toEqual(['VolumeCreationRequested', 'VolumeCreated']);
      expect((await stat(fileOf(id))).size).toBe(size);
    }
    await eventually('recovery of the deletion', async () => ((await history(deleting)).length === 4 ? true : undefined));
    expect(await history(deleting)).toEqual(['VolumeCreationRequested', 'VolumeCreated', 'VolumeDeletionRequested', 'VolumeDeleted']);
    await expect(stat(fileOf(deleting))).rejects.toMatchObject({ code: 'ENOENT' });

    // Exactly one file per surviving volume, none left over.
    expect((await readdir(poolDir)).filter((f) => f.endsWith('.raw')).sort()).toEqual(
      [beforeCall, afterCall, midCall].map((id) => `vol-${id}.raw`).sort(),
    );
    // Nothing left in a transitional state.
    expect(await store.streamsEndingWith('volume-', ['VolumeCreationRequested', 'VolumeDeletionRequested'])).toEqual([]);
    // The outcomes were published through the outbox, like any other event.
    await eventually('the outbox to drain', async () => {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".outbox WHERE published_at IS NULL`);
      return n === 0 ? true : undefined;
    });
  });
});
