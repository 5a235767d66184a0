import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PgEventStore } from '@strata/event-store';
import { DeadLetterHeaders } from '@strata/messaging';
import { commandEnvelope, eventually } from '@strata/testing';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

/**
 * The storage service in-process against the real PostgreSQL and Kafka: commands go in
 * through the command topic, answers come back on the events and dead-letter topics.
 */
describe('storage service on real Kafka and PostgreSQL', () => {
  let h: StorageHarness;
  let poolDir: string;

  const command = commandEnvelope;
  const send = (aggregateId: string, value: string | Buffer) => h.sendRaw(aggregateId, value);
  const eventFor = (type: string, causationId: string) => h.eventFor(type, causationId);

  beforeAll(async () => {
    poolDir = await mkdtemp(path.join(tmpdir(), 'strata-pool-'));
    h = await startStorageHarness('storage');
  });

  afterAll(async () => {
    await h?.close();
    await rm(poolDir, { recursive: true, force: true });
  });

  let poolId: string;

  it('adds a file pool, measuring its capacity', async () => {
    poolId = randomUUID();
    const add = command('AddStoragePool', poolId, { name: 'pool-1', plugin: 'file', zoneId: 'zone-1', tags: ['ssd'], config: { path: poolDir } });
    await send(poolId, JSON.stringify(add));
    const added = await eventFor('StoragePoolAdded', add.messageId);
    expect(added.aggregateId).toBe(poolId);
    expect((added.data as { capacityBytes: number }).capacityBytes).toBeGreaterThan(0);
  });

  it('creates one file for a command delivered twice', async () => {
    const volumeId = randomUUID();
    const create = command('CreateVolume', volumeId, { name: 'data-1', poolId, sizeBytes: 64 * 2 ** 20 });
    await send(volumeId, JSON.stringify(create));
    await send(volumeId, JSON.stringify(create));
    const created = await eventFor('VolumeCreated', create.messageId);
    // Give the second copy every chance to be (wrongly) handled before counting.
    const marker = command('CreateVolume', randomUUID(), { name: 'marker', poolId, sizeBytes: 512 });
    await send(volumeId, JSON.stringify(marker));
    await eventFor('VolumeCreated', marker.messageId).catch(() => undefined);

    const store = h.app.get(PgEventStore);
    const history = (await store.readStream(`volume-${volumeId}`)).map((e) => e.envelope.type);
    expect(history).toEqual(['VolumeCreationRequested', 'VolumeCreated']);
    const files = (await readdir(poolDir)).filter((f) => f.includes(volumeId));
    expect(files).toHaveLength(1);
    const info = await stat(path.join(poolDir, files[0]));
    expect(info.size).toBe(64 * 2 ** 20);
    expect(info.blocks * 512).toBeLessThan(info.size); // sparse
    expect((created.data as { path: string }).path).toBe(path.join(poolDir, files[0]));
  });

  it('answers an invalid command with CommandRejected naming each field and rule', async () => {
    const volumeId = randomUUID();
    const bad = command('CreateVolume', volumeId, { name: 'bad', poolId: 'not-a-uuid', sizeBytes: -5 });
    await send(volumeId, JSON.stringify(bad));
    const rejected = await eventFor('CommandRejected', bad.messageId);
    const data = rejected.data as { commandId: string; error: { code: string }; violations: { field: string; rule: string }[] };
    expect(data.commandId).toBe(bad.messageId);
    expect(data.error.code).toBe('command.invalid');
    expect(data.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'data.poolId', rule: 'isUuid' }),
        expect.objectContaining({ field: 'data.sizeBytes', rule: 'min' }),
      ]),
    );
    expect(await readdir(poolDir)).not.toContainEqual(expect.stringContaining(volumeId));
  });

  it('rejects a command that is valid but illegal for the state: a volume on an unknown pool', async () => {
    const volumeId = randomUUID();
    const missingPool = randomUUID();
    const cmd = command('CreateVolume', volumeId, { name: 'orphan', poolId: missingPool, sizeBytes: 4096 });
    await send(volumeId, JSON.stringify(cmd));
    const rejected = await eventFor('CommandRejected', cmd.messageId);
    expect(rejected.data).toMatchObject({ error: { code: 'pool.not_found', message: expect.stringContaining(missingPool) } });
  });

  it('dead-letters a message that cannot be parsed, with its bytes, origin and reason', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0x6e, 0x6f, 0xff, 0x00, 0x01]); // '{"no' + garbage
    const key = randomUUID();
    await send(key, bytes);
    const dead = await eventually('the dead letter', async () => h.deadLetters.find((m) => m.key?.toString() === key));
    expect(Buffer.compare(dead.value!, bytes)).toBe(0);
    expect(dead.headers[DeadLetterHeaders.topic]).toBe(h.topics.storageCommands);
    expect(dead.headers[DeadLetterHeaders.partition]).toMatch(/^\d+$/);
    expect(dead.headers[DeadLetterHeaders.offset]).toMatch(/^\d+$/);
    expect(dead.headers[DeadLetterHeaders.reason]).toMatch(/not valid JSON/);
    expect(dead.headers[DeadLetterHeaders.consumerGroup]).toBe('storage-service');
  });

  it('deletes a volume: the file is gone and the history ends in VolumeDeleted', async () => {
    const volumeId = randomUUID();
    const create = command('CreateVolume', volumeId, { name: 'to-delete', poolId, sizeBytes: 2 ** 20 });
    await send(volumeId, JSON.stringify(create));
    await eventFor('VolumeCreated', create.messageId);
    const del = command('DeleteVolume', volumeId, {});
    await send(volumeId, JSON.stringify(del));
    await eventFor('VolumeDeleted', del.messageId);
    expect((await readdir(poolDir)).filter((f) => f.includes(volumeId))).toEqual([]);
  });
});
