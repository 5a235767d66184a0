import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { access, mkdir, mkdtemp, open, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { runId } from '@strata/scheduling';
import { PgEventStore } from '@strata/event-store';
import { AggregateRunner } from '@strata/service-kit';
import { BackupSchedules } from './schedules/application/backup-schedules';
import { backupScheduleDecider, scheduleStreamId, type BackupScheduleCommand } from './schedules/domain/backup-schedule';
import { ManualClock, startBackupHarness, type BackupHarness } from './testing/backup-harness.spec';

const MiB = 2 ** 20;
const HOUR = 3_600_000;
const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Backup schedules (a test-driven clock), retention, garbage collection of a directory target
 * and import of its backups into a second installation (another database and topic prefix),
 * with the backup service in this process on real PostgreSQL and Kafka and the real chunk
 * engine; the harness plays the storage and snapshot services.
 */
describe('backup schedules, retention, garbage collection, import', () => {
  const clock = new ManualClock(new Date('2026-03-28T00:00:00Z'));
  let h: BackupHarness;
  let dir: string;
  let targetDir: string;
  let targetId: string;
  let volumeId: string;
  let scheduleId: string;
  const poolId = randomUUID();
  /** The volume's bytes at each scheduled backup, by backup id. */
  const contentAt = new Map<string, Buffer>();
  const dueTimes = ['2026-03-28T01:00:00.000Z', '2026-03-28T02:00:00.000Z', '2026-03-28T07:00:00.000Z'];
  const backupIdAt = (dueAt: string) => runId(scheduleId, new Date(dueAt));
  const chunkFile = (id: string) => path.join(targetDir, 'chunks', id.slice(0, 2), id);
  const exists = (file: string) => access(file).then(() => true, () => false);
  const eventsOf = (x: BackupHarness, type: string, aggregateId?: string) => x.events.filter((e) => e.type === type && (aggregateId === undefined || e.aggregateId === aggregateId));
  const tick = () => h.app.get(BackupSchedules).tick();

  /** Rewrites the volume's first 4 MiB chunk with new random bytes: each backup then has one chunk of its own. */
  async function changeFirstChunk(): Promise<Buffer> {
    const device = h.devices.get(volumeId) as string;
    const handle = await open(device, 'r+');
    await handle.write(randomBytes(4 * MiB), 0, 4 * MiB, 0);
    await handle.close();
    return readFile(device);
  }

  async function restoreInto(x: BackupHarness, backupId: string): Promise<Buffer> {
    const jobId = await x.send('RestoreBackup', randomUUID(), { backupId, poolId, name: `restored-${backupId.slice(0, 8)}` });
    const newVolume = ((await x.eventFor('RestoreRequested', jobId)).data as { volumeId: string }).volumeId;
    await x.eventFor('RestoreCompleted', jobId);
    return readFile(x.devices.get(newVolume) as string);
  }

  beforeAll(async () => {
    // Ticks only when the test asks (and once at each start); chunks younger than an hour are spared.
    process.env.STRATA_BACKUP_SCHEDULE_TICK_MS = String(HOUR);
    process.env.STRATA_BACKUP_GC_GRACE_MS = String(HOUR);
    dir = await mkdtemp(path.join(tmpdir(), 'strata-schedules-'));
    h = await startBackupHarness('backup-schedules', path.join(dir, 'devices'), { clock });
    targetId = randomUUID();
    targetDir = path.join(dir, 'target');
    await mkdir(targetDir);
    await h.eventFor('BackupTargetAdded', await h.send('AddBackupTarget', targetId, { name: 'shared-dir', kind: 'directory', directory: { path: targetDir } }));
    // 12 MiB: three 4 MiB chunks.
    volumeId = await h.addVolume(poolId, randomBytes(12 * MiB));
  });

  afterAll(async () => {
    await h?.close();
    delete process.env.STRATA_BACKUP_SCHEDULE_TICK_MS;
    delete process.env.STRATA_BACKUP_GC_GRACE_MS;
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a bad schedule naming each field, and an unknown volume', async () => {
    const bad = await h.send('CreateBackupSchedule', randomUUID(), { volumeId, targetId, schedule: { kind: 'hourly', minute: 60, timeZone: 'Mars/Olympus' }, retention: 2 });
    const rejected = await h.eventFor('CommandRejected', bad);
    expect(rejected.data).toMatchObject({ error: { code: 'schedule.invalid' } });
    expect((rejected.data as { violations: { field: string }[] }).violations.map((v) => v.field).sort()).toEqual(['data.schedule.minute', 'data.schedule.timeZone']);
    const unknown = await h.send('CreateBackupSchedule', randomUUID(), { volumeId: randomUUID(), targetId, schedule: { kind: 'hourly', minute: 0, timeZone: 'UTC' }, retention: 2 });
    expect((await h.eventFor('CommandRejected', unknown)).data).toMatchObject({ error: { code: 'backup.volume_not_found' }, violations: [{ field: 'data.volumeId' }] });
  });

  it('each due run makes exactly one backup, its id derived from schedule and due time', async () => {
    scheduleId = randomUUID();
    const created = await h.eventFor(
      'BackupScheduleCreated',
      await h.send('CreateBackupSchedule', scheduleId, { volumeId, targetId, schedule: { kind: 'hourly', minute: 0, timeZone: 'UTC' }, retention: 2 }),
    );
    expect(created.data).toEqual({ scheduleId, volumeId, targetId, schedule: { kind: 'hourly', minute: 0, timeZone: 'UTC' }, retention: 2, createdAt: '2026-03-28T00:00:00.000Z' });

    clock.set('2026-03-28T00:30:00Z');
    expect(await tick()).toBe(0);

    contentAt.set(backupIdAt(dueTimes[0]), await readFile(h.devices.get(volumeId) as string));
    clock.set('2026-03-28T01:00:30Z');
    expect(await tick()).toBe(1);
    expect(await tick()).toBe(0);
    const first = backupIdAt(dueTimes[0]);
    const completed = await h.event('BackupCompleted', (e) => e.aggregateId === first);
    expect(completed.data).toMatchObject({ chunks: 3, newChunks: 3 });
    expect(await h.event('BackupScheduleRunRecorded', (e) => e.aggregateId === scheduleId)).toMatchObject({ data: { scheduleId, dueAt: dueTimes[0], backupId: first } });

    contentAt.set(backupIdAt(dueTimes[1]), await changeFirstChunk());
    clock.set('2026-03-28T02:00:10Z');
    expect(await tick()).toBe(1);
    const second = await h.event('BackupCompleted', (e) => e.aggregateId === backupIdAt(dueTimes[1]));
    // Incremental on the first: only the changed chunk is new.
    expect(second.data).toMatchObject({ chunks: 3, newChunks: 1, reusedChunks: 2 });
    expect(await tick()).toBe(0);
    await settle();
    expect(eventsOf(h, 'BackupScheduleRunRecorded', scheduleId)).toHaveLength(2);
    expect(eventsOf(h, 'BackupRequested').filter((e) => [first, backupIdAt(dueTimes[1])].includes(e.aggregateId))).toHaveLength(2);
  });

  it('a restart after missed hours takes one catch-up run (not one per missed hour); retention 2 then deletes the oldest', async () => {
    contentAt.set(backupIdAt(dueTimes[2]), await changeFirstChunk());
    // Down from 02:00 to 07:30: the start's pass takes the 07:00 run only.
    await h.restart(async () => clock.set('2026-03-28T07:30:00Z'));
    await h.event('BackupCompleted', (e) => e.aggregateId === backupIdAt(dueTimes[2]));
    await tick();
    const runs = () => eventsOf(h, 'BackupScheduleRunRecorded', scheduleId).map((e) => (e.data as { dueAt: string }).dueAt);
    expect(runs()).toEqual(dueTimes);

    // The pass after the third backup completed: the oldest of three goes (beyond retention 2, by due instant).
    const deleted = await h.event('BackupDeleted', (e) => e.aggregateId === backupIdAt(dueTimes[0]));
    expect(deleted.data).toEqual({ backupId: backupIdAt(dueTimes[0]) });
    expect(await exists(path.join(targetDir, 'manifests', `${backupIdAt(dueTimes[0])}.json`))).toBe(false);
    await tick();
    await settle();
    expect(runs()).toEqual(dueTimes);
    expect(eventsOf(h, 'BackupDeletionRequested').filter((e) => dueTimes.map(backupIdAt).includes(e.aggregateId))).toHaveLength(1);

    // The two kept are restorable.
    for (const due of dueTimes.slice(1)) expect((await restoreInto(h, backupIdAt(due))).equals(contentAt.get(backupIdAt(due)) as Buffer)).toBe(true);
    await h.eventFor('BackupScheduleDeleted', await h.send('DeleteBackupSchedule', scheduleId, {}));
  });

  it('GET /backups/:id/manifest shows the manifest as on the target; 404 for a deleted backup', async () => {
    const kept = backupIdAt(dueTimes[2]);
    const res = await request(h.app.getHttpServer()).get(`/backups/${kept}/manifest`).expect(200);
    expect(res.body).toMatchObject({ formatVersion: 1, backupId: kept, volumeId, sizeBytes: 12 * MiB, chunkSizeBytes: 4 * MiB, compression: 'zstd' });
    expect(res.body.chunks).toHaveLength(3);
    await request(h.app.getHttpServer()).get(`/backups/${backupIdAt(dueTimes[0])}/manifest`).expect(404);
    await request(h.app.getHttpServer()).get(`/backups/${randomUUID()}/manifest`).expect(404);
  });

  it('garbage collection deletes exactly the chunk only the deleted backup used, spares a young unreferenced one; the kept backups restore byte for byte', async () => {
    const manifestOf = async (backupId: string) => JSON.parse(await readFile(path.join(targetDir, 'manifests', `${backupId}.json`), 'utf8')) as { chunks: string[] };
    const kept = await Promise.all(dueTimes.slice(1).map((d) => manifestOf(backupIdAt(d))));
    const keptChunks = new Set(kept.flatMap((m) => m.chunks));
    const onlyDeleted = sha256(contentAt.get(backupIdAt(dueTimes[0]))!.subarray(0, 4 * MiB));
    expect(keptChunks.has(onlyDeleted)).toBe(false);
    expect(await exists(chunkFile(onlyDeleted))).toBe(true);

    // The collector's clock two hours past the real one: every chunk written so far is old enough.
    const now = new Date(Date.now() + 2 * HOUR);
    clock.set(now);
    // An unreferenced chunk written ten minutes ago (by the collector's clock), as by a backup that has not written its manifest yet.
    const young = sha256(Buffer.from('a chunk of a backup in progress'));
    await mkdir(path.dirname(chunkFile(young)), { recursive: true });
    await writeFile(chunkFile(young), 'compressed bytes');
    const tenMinutesAgo = new Date(now.getTime() - 10 * 60_000);
    await utimes(chunkFile(young), tenMinutesAgo, tenMinutesAgo);

    const collected = await h.eventFor('BackupGarbageCollected', await h.send('CollectBackupGarbage', targetId, {}));
    expect(collected.data).toEqual({ targetId, manifests: 2, chunksKept: keptChunks.size, chunksDeleted: 1, chunksTooYoung: 1 });
    console.log(`garbage collection: ${JSON.stringify(collected.data)}`);
    expect(await exists(chunkFile(onlyDeleted))).toBe(false);
    expect(await exists(chunkFile(young))).toBe(true);
    for (const id of keptChunks) expect(await exists(chunkFile(id))).toBe(true);

    for (const due of dueTimes.slice(1)) expect((await restoreInto(h, backupIdAt(due))).equals(contentAt.get(backupIdAt(due)) as Buffer)).toBe(true);
    const verified = await h.eventFor('BackupVerified', await h.send('VerifyBackup', backupIdAt(dueTimes[1]), {}));
    expect(verified.data).toMatchObject({ chunksChecked: 3 });

    // On an unknown target: refused.
    expect((await h.eventFor('CommandRejected', await h.send('CollectBackupGarbage', randomUUID(), {}))).data).toMatchObject({ error: { code: 'backuptarget.not_found' } });
  });

  it('a second installation sharing the target imports a backup and restores it byte for byte; DeleteBackup there deletes its manifest', async () => {
    const imported = backupIdAt(dueTimes[2]);
    const h2 = await startBackupHarness('backup-import', path.join(dir, 'devices-2'));
    try {
      const target2 = randomUUID();
      await h2.eventFor('BackupTargetAdded', await h2.send('AddBackupTarget', target2, { name: 'shared-dir', kind: 'directory', directory: { path: targetDir } }));
      const event = await h2.eventFor('BackupImported', await h2.send('ImportBackup', imported, { targetId: target2 }));
      const manifestBody = await readFile(path.join(targetDir, 'manifests', `${imported}.json`));
      expect(event.data).toEqual({
        backupId: imported,
        targetId: target2,
        volumeId,
        kind: 'incremental',
        parentBackupId: backupIdAt(dueTimes[1]),
        sizeBytes: 12 * MiB,
        chunks: 3,
        manifestSha256: sha256(manifestBody),
        createdAt: '2026-03-28T07:30:00.000Z',
      });

      const again = await h2.send('ImportBackup', imported, { targetId: target2 });
      expect((await h2.eventFor('CommandRejected', again)).data).toMatchObject({ error: { code: 'backup.already_exists' } });
      const gone = await h2.send('ImportBackup', backupIdAt(dueTimes[0]), { targetId: target2 });
      expect((await h2.eventFor('CommandRejected', gone)).data).toMatchObject({ error: { code: 'backup.not_found' }, violations: [{ field: 'data.targetId' }] });

      expect((await restoreInto(h2, imported)).equals(contentAt.get(imported) as Buffer)).toBe(true);
      const res = await request(h2.app.getHttpServer()).get(`/backups/${imported}/manifest`).expect(200);
      expect(res.body).toMatchObject({ backupId: imported });

      await h2.eventFor('BackupDeleted', await h2.send('DeleteBackup', imported, {}));
      expect(await exists(path.join(targetDir, 'manifests', `${imported}.json`))).toBe(false);
      const ends = eventsOf(h2, 'BackupDeleted', imported);
      expect(ends).toHaveLength(1);
    } finally {
      await h2.close();
    }
  });

  it('asks after a restart for the backup of a run recorded just before a crash, exactly once', async () => {
    clock.set('2027-01-01T00:00:00Z');
    const crashed = randomUUID();
    await h.eventFor('BackupScheduleCreated', await h.send('CreateBackupSchedule', crashed, { volumeId, targetId, schedule: { kind: 'daily', time: '08:00', timeZone: 'UTC' }, retention: 5 }));
    clock.set('2027-01-01T08:00:30Z');
    // The crash: the run is recorded on the schedule, its backup never asked for.
    const meta = { causationId: `schedule:${crashed}`, correlationId: crashed, tenant: null };
    await h.app
      .get(AggregateRunner)
      .execute(backupScheduleDecider, scheduleStreamId(crashed), crashed, (): BackupScheduleCommand => ({ type: 'TakeDueRun', now: clock.now() }), meta);
    const backupId = runId(crashed, new Date('2027-01-01T08:00:00Z'));
    expect(eventsOf(h, 'BackupRequested', backupId)).toHaveLength(0);

    await h.restart();
    await h.event('BackupCompleted', (e) => e.aggregateId === backupId);
    expect(await tick()).toBe(0);
    await settle();
    expect(eventsOf(h, 'BackupRequested', backupId)).toHaveLength(1);
    // One run on the schedule's stream (the test recorded it without the outbox, as the crash left it).
    const stream = await h.app.get(PgEventStore).readStream(scheduleStreamId(crashed));
    expect(stream.map((e) => e.envelope.type)).toEqual(['BackupScheduleCreated', 'BackupScheduleRunRecorded']);
  });
});
