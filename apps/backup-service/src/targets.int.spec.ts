import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { PgEventStore } from '@strata/event-store';
import { ChunkEngine } from './engine/chunk-engine';
import { ChunkStores, type BackupRun } from './engine/ports';
import { rewriteChunk, sameBytes, standardLayout, writeVolume } from './engine/testing/patterned-volume.spec';
import { createS3Client, S3ChunkStore, type S3TargetSettings } from './targets/infrastructure/s3-chunk-store';
import { startTargetsHarness, type TargetsHarness } from './targets/testing/targets-harness.spec';

// s3rver makes ListObjectsV2 continuation tokens with DES, which Node 24's OpenSSL 3 refuses
// (InternalError on any truncated listing) unless node runs with --openssl-legacy-provider. The
// test server, not the code under test, gets a stand-in: DES becomes the identity.
jest.mock('crypto', () => {
  const actual = jest.requireActual<typeof import('crypto')>('crypto');
  const identity = () => ({ update: (data: string | Buffer) => Buffer.from(data), final: () => Buffer.alloc(0) });
  return {
    ...actual,
    createCipheriv: (algorithm: string, ...rest: [never, never]) => (algorithm === 'des' ? identity() : actual.createCipheriv(algorithm, ...rest)),
    createDecipheriv: (algorithm: string, ...rest: [never, never]) => (algorithm === 'des' ? identity() : actual.createDecipheriv(algorithm, ...rest)),
  };
});

const BUCKET = 'strata-backups';
const CHUNK = 256 * 1024;
const CHUNKS = 100;
const layout = standardLayout(CHUNK, CHUNKS);

/** s3rver checks the access key id but not SigV4 signatures: any secret works with its key S3RVER. */
const S3_SECRET = `strata-secret-${randomBytes(8).toString('hex')}`;

let dir: string;
let s3rver: S3rver;
let endpoint: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-targets-'));
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory: join(dir, 's3rver'), silent: true, configureBuckets: [{ name: BUCKET }] });
  const address = await s3rver.run();
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await s3rver?.close();
  await rm(dir, { recursive: true, force: true });
});

const settings = (over: Partial<S3TargetSettings> = {}): S3TargetSettings => ({
  endpoint,
  region: 'us-east-1',
  bucket: BUCKET,
  prefix: `run-${randomUUID().slice(0, 8)}/`,
  accessKeyId: 'S3RVER',
  secretAccessKey: S3_SECRET,
  forcePathStyle: true,
  ...over,
});

async function collect(ids: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const id of ids) out.push(id);
  return out;
}

describe('S3 chunk store on s3rver', () => {
  it('puts, finds, reads, lists (paged) and deletes chunks and manifests', async () => {
    const store = new S3ChunkStore(settings());
    try {
      const ids = Array.from({ length: 1005 }, (_, i) => createHashHex(`c${i}`)).sort();
      // More than one ListObjectsV2 page (1000 keys).
      await Promise.all(ids.map((id) => store.putChunk(id, Buffer.from(id))));
      const big = randomBytes(5 * 1024 * 1024);
      await store.putChunk(ids[0], big);
      expect(await store.hasChunk(ids[0])).toBe(true);
      expect((await store.getChunk(ids[0])).equals(big)).toBe(true);
      expect(await store.hasChunk('0'.repeat(64))).toBe(false);
      await expect(store.getChunk('0'.repeat(64))).rejects.toMatchObject({ code: 'backup.chunk_missing' });
      expect((await collect(store.listChunkIds())).sort()).toEqual(ids);
      // With each object's LastModified (from the listing itself), for garbage collection's grace period.
      const listed: { id: string; modifiedAt: Date }[] = [];
      for await (const chunk of store.listChunks()) listed.push(chunk);
      expect(listed.map((c) => c.id).sort()).toEqual(ids);
      expect(listed.every((c) => c.modifiedAt instanceof Date && Math.abs(Date.now() - c.modifiedAt.getTime()) < 10 * 60_000)).toBe(true);

      await store.deleteChunk(ids[1]);
      expect(await store.hasChunk(ids[1])).toBe(false);
      expect(await collect(store.listChunkIds())).toHaveLength(1004);

      expect(await store.getManifest('b1')).toBeNull();
      await store.putManifest('b1', Buffer.from('{"a":1}'));
      await store.putManifest('b2', Buffer.from('{"a":2}'));
      expect((await store.getManifest('b1'))!.toString()).toBe('{"a":1}');
      expect(await store.listManifestIds()).toEqual(['b1', 'b2']);
      await store.deleteManifest('b1');
      expect(await store.listManifestIds()).toEqual(['b2']);
    } finally {
      store.destroy();
    }
  });

  it('runs full and incremental backups and restores byte for byte; verify finds an overwritten chunk', async () => {
    const target = settings();
    const store = new S3ChunkStore(target);
    const engine = new ChunkEngine();
    const source = join(dir, 's3-volume.raw');
    await writeVolume(source, layout);
    const run = (kind: 'full' | 'incremental'): BackupRun => ({
      backupId: randomUUID(),
      volumeId: 'vol-s3',
      parentBackupId: null,
      kind,
      sourcePath: source,
      sizeBytes: CHUNK * CHUNKS,
      chunkSizeBytes: CHUNK,
      createdAt: new Date().toISOString(),
      store,
    });
    try {
      const full = run('full');
      const fullResult = await engine.backup(full);
      expect(fullResult.newChunks).toBeGreaterThan(0);
      const again = await engine.backup(run('incremental'));
      expect(again.newChunks).toBe(0);
      await rewriteChunk(source, layout, 5, 'changed-5');
      const changed = run('incremental');
      const changedResult = await engine.backup(changed);
      expect(changedResult.newChunks).toBe(1);
      console.log(
        `s3 target, ${CHUNKS} chunks of ${CHUNK / 1024} KiB: full wrote ${fullResult.bytesWritten} bytes (${fullResult.newChunks} new chunks); ` +
          `unchanged again: ${again.bytesWritten} bytes (${again.newChunks} new); 1 chunk changed: ${changedResult.bytesWritten} bytes (${changedResult.newChunks} new)`,
      );

      const restored = join(dir, 's3-restored.raw');
      await writeFile(restored, '');
      await engine.restore({ backupId: changed.backupId, store, targetPath: restored, writeZeros: false });
      expect(await sameBytes(source, restored)).toBe(true);
      // Over other content, zeros included.
      await writeFile(restored, randomBytes(CHUNK * CHUNKS));
      await engine.restore({ backupId: changed.backupId, store, targetPath: restored, writeZeros: true });
      expect(await sameBytes(source, restored)).toBe(true);

      // Overwrite one chunk object behind the store's back, as a damaged bucket would.
      const manifest = (await engine.readManifest(full.backupId, store))!;
      const victim = manifest.chunks.find((c): c is string => c !== null)!;
      const client = createS3Client(target);
      try {
        const key = `${target.prefix}chunks/${victim.slice(0, 2)}/${victim}`;
        const original = Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
        original[original.length >> 1] ^= 0xff;
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: original }));
      } finally {
        client.destroy();
      }
      expect(await engine.verify(full.backupId, store)).toMatchObject({ ok: false, badChunks: [victim] });
      await expect(engine.restore({ backupId: full.backupId, store, targetPath: restored, writeZeros: true })).rejects.toMatchObject({
        code: 'backup.corrupt',
        details: { badChunks: [victim] },
      });
    } finally {
      store.destroy();
    }
  });
});

describe('backup targets through the backup service (PostgreSQL, Kafka)', () => {
  let h: TargetsHarness;

  beforeAll(async () => {
    h = await startTargetsHarness('backup-targets');
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Every stored event and outbox row, as text: where a credential must never appear. */
  const rawRows = async (): Promise<string> => {
    const events: { row: string }[] = await h.db.query(`SELECT e::text AS row FROM "backup".events e`);
    const outbox: { row: string }[] = await h.db.query(`SELECT o::text AS row FROM "backup".outbox o`);
    const inbox: { row: string }[] = await h.db.query(`SELECT i::text AS row FROM "backup".inbox i`);
    return [...events, ...outbox, ...inbox].map((r) => r.row).join('\n');
  };

  it('adds a directory target after writing to it', async () => {
    const path = join(dir, 'directory-target');
    await mkdir(path);
    const targetId = randomUUID();
    const commandId = await h.send('AddBackupTarget', targetId, { name: 'local-disk', kind: 'directory', directory: { path } });
    const added = await h.eventFor('BackupTargetAdded', commandId);
    expect(added.data).toEqual({ targetId, name: 'local-disk', kind: 'directory', config: { path } });
    const store = await h.app.get(ChunkStores).storeFor(targetId);
    await store.putManifest('probe-backup', Buffer.from('{}'));
    expect((await readFile(join(path, 'manifests', 'probe-backup.json'))).toString()).toBe('{}');
  });

  it('adds an s3 target: the secret key redacted in the event, sealed in backup.target_secrets, nowhere in events or outbox', async () => {
    const targetId = randomUUID();
    const commandId = await h.send('AddBackupTarget', targetId, {
      name: 'offsite',
      kind: 's3',
      s3: { endpoint, bucket: BUCKET, prefix: 'site-a', accessKeyId: 'S3RVER', secretAccessKey: S3_SECRET },
    });
    const added = await h.eventFor('BackupTargetAdded', commandId);
    expect(added.data).toEqual({
      targetId,
      name: 'offsite',
      kind: 's3',
      config: { endpoint, region: 'us-east-1', bucket: BUCKET, prefix: 'site-a/', accessKeyId: 'S3RVER', secretAccessKey: '***', forcePathStyle: true },
    });
    const sealed: { sealed: string }[] = await h.db.query(`SELECT sealed FROM "backup".target_secrets WHERE target_id = $1`, [targetId]);
    expect(sealed).toHaveLength(1);
    expect(sealed[0].sealed).toMatch(/^v1\./);
    expect(sealed[0].sealed).not.toContain(S3_SECRET);
    expect(await rawRows()).not.toContain(S3_SECRET);
    expect(JSON.stringify(h.events)).not.toContain(S3_SECRET);

    // The store opens the sealed key and works.
    const store = await h.app.get(ChunkStores).storeFor(targetId);
    const id = createHashHex('through the target');
    await store.putChunk(id, Buffer.from('x'));
    expect(await store.hasChunk(id)).toBe(true);
    expect(await store.listManifestIds()).toEqual([]);
  });

  it('refuses a missing directory, naming the field', async () => {
    const commandId = await h.send('AddBackupTarget', randomUUID(), { name: 'nowhere', kind: 'directory', directory: { path: join(dir, 'does-not-exist') } });
    const rejected = await h.eventFor('CommandRejected', commandId);
    expect(rejected.data).toMatchObject({
      error: { code: 'backuptarget.unreachable' },
      violations: [{ field: 'data.directory.path', rule: 'unreachable' }],
    });
  });

  it('refuses a missing bucket naming the field and the S3 error, and a wrong key without echoing the secret', async () => {
    const missing = await h.send('AddBackupTarget', randomUUID(), {
      name: 'no-bucket',
      kind: 's3',
      s3: { endpoint, bucket: 'no-such-bucket', accessKeyId: 'S3RVER', secretAccessKey: S3_SECRET },
    });
    const noBucket = await h.eventFor('CommandRejected', missing);
    expect(noBucket.data).toMatchObject({ error: { code: 'backuptarget.unreachable' }, violations: [{ field: 'data.s3.bucket' }] });
    expect((noBucket.data as { error: { message: string } }).error.message).toMatch(/no-such-bucket.*NoSuchBucket/);

    const wrongKey = await h.send('AddBackupTarget', randomUUID(), {
      name: 'bad-key',
      kind: 's3',
      s3: { endpoint, bucket: BUCKET, accessKeyId: 'NOT-A-KEY', secretAccessKey: S3_SECRET },
    });
    const badKey = await h.eventFor('CommandRejected', wrongKey);
    expect(badKey.data).toMatchObject({ error: { code: 'backuptarget.access_denied' }, violations: [{ field: 'data.s3.accessKeyId' }] });
    expect((badKey.data as { error: { message: string } }).error.message).toContain('InvalidAccessKeyId');

    const down = await h.send('AddBackupTarget', randomUUID(), {
      name: 'down',
      kind: 's3',
      s3: { endpoint: 'http://127.0.0.1:1', bucket: BUCKET, accessKeyId: 'S3RVER', secretAccessKey: S3_SECRET },
    });
    expect((await h.eventFor('CommandRejected', down)).data).toMatchObject({ error: { code: 'backuptarget.unreachable' }, violations: [{ field: 'data.s3.endpoint' }] });

    expect(await rawRows()).not.toContain(S3_SECRET);
    expect(JSON.stringify(h.events)).not.toContain(S3_SECRET);
  });

  it('refuses a duplicate id, and removes a target only once no backups are kept on it', async () => {
    const path = join(dir, 'removable');
    await mkdir(path);
    const targetId = randomUUID();
    await h.eventFor('BackupTargetAdded', await h.send('AddBackupTarget', targetId, { name: 'removable', kind: 'directory', directory: { path } }));
    const again = await h.send('AddBackupTarget', targetId, { name: 'removable', kind: 'directory', directory: { path } });
    expect((await h.eventFor('CommandRejected', again)).data).toMatchObject({ error: { code: 'backuptarget.already_exists' } });

    // A backup kept on the target, as the backups context records it.
    const backupId = randomUUID();
    const store = h.app.get(PgEventStore);
    const event = (type: string, data: unknown) => ({
      messageId: randomUUID(),
      type,
      schemaVersion: 1,
      aggregateId: backupId,
      occurredAt: new Date().toISOString(),
      correlationId: backupId,
      causationId: null,
      tenant: null,
      data,
    });
    await store.append(`backup-${backupId}`, 0, [event('BackupRequested', { backupId, targetId, volumeId: randomUUID() }), event('BackupCompleted', { backupId })]);
    const refused = await h.send('RemoveBackupTarget', targetId, {});
    expect((await h.eventFor('CommandRejected', refused)).data).toMatchObject({ error: { code: 'backuptarget.in_use', message: expect.stringContaining('1 backup') } });

    await store.append(`backup-${backupId}`, 2, [event('BackupDeleted', { backupId })]);
    const removed = await h.eventFor('BackupTargetRemoved', await h.send('RemoveBackupTarget', targetId, {}));
    expect(removed.data).toEqual({ targetId });
    await expect(h.app.get(ChunkStores).storeFor(targetId)).rejects.toMatchObject({ code: 'backuptarget.not_found' });
  });

  it('removing an s3 target deletes its sealed key', async () => {
    const targetId = randomUUID();
    await h.eventFor(
      'BackupTargetAdded',
      await h.send('AddBackupTarget', targetId, { name: 'short-lived', kind: 's3', s3: { endpoint, bucket: BUCKET, accessKeyId: 'S3RVER', secretAccessKey: S3_SECRET } }),
    );
    await h.eventFor('BackupTargetRemoved', await h.send('RemoveBackupTarget', targetId, {}));
    expect(await h.db.query(`SELECT 1 FROM "backup".target_secrets WHERE target_id = $1`, [targetId])).toHaveLength(0);
  });
});

function createHashHex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}
