/* eslint-disable @typescript-eslint/no-explicit-any -- REST answers are read loosely here: their shapes are the e2e tests' business, a bench only reads figures off them. */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { topics as topicNames } from '@strata/contracts';
import { KafkaMessageBus } from '@strata/messaging';
import { commandEnvelope, eventually } from '@strata/testing';
import type { Bench, BenchContext, ResultRow } from '../lib/context';
import { ratio, round } from '../lib/stats';
import { startSystem, type System } from '../lib/system';

const run = promisify(execFile);
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Empties the page cache (root only), so each read below comes from the disk; says whether it could. */
async function dropCaches(): Promise<boolean> {
  try {
    await run('sync');
    await writeFile('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const mbps = (bytes: number, sec: number) => round(bytes / MiB / sec, 1);

/**
 * Writes a volume-like image: the first three quarters data (4 MiB blocks, each distinct so
 * the backup's chunk dedupe finds nothing to share), the last quarter holes.
 */
async function writeImage(file: string, size: number): Promise<void> {
  const block = randomBytes(4 * MiB);
  const h = await open(file, 'w');
  try {
    await h.truncate(size);
    for (let off = 0; off < (size * 3) / 4; off += block.length) {
      block.writeDoubleLE(off, 0);
      block.writeDoubleLE(Math.random(), 8);
      await h.write(block, 0, Math.min(block.length, size - off), off);
    }
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Overwrites `bytes` at `offset` (a 1 % change in one place). */
async function overwrite(file: string, offset: number, bytes: number): Promise<void> {
  const h = await open(file, 'r+');
  try {
    await h.write(randomBytes(bytes), 0, bytes, offset);
    await h.sync();
  } finally {
    await h.close();
  }
}

class Api {
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}

  async call(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** POSTs a command and waits for its job: answers the 202 body. */
  async command(url: string, body: unknown, timeoutMs = 30 * 60_000): Promise<any> {
    const res = await this.call('POST', url, body);
    if (res.status !== 202) throw new Error(`POST ${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
    const job = await eventually(`job of POST ${url}`, async () => {
      const j = await this.call('GET', `/jobs/${res.body.jobId}`);
      return j.body?.status === 'succeeded' || j.body?.status === 'failed' ? j.body : undefined;
    }, timeoutMs);
    if (job.status !== 'succeeded') throw new Error(`POST ${url}: job failed: ${JSON.stringify(job.error)}`);
    return res.body;
  }

  until(what: string, url: string, done: (b: any) => boolean, timeoutMs = 30 * 60_000): Promise<any> {
    return eventually(what, async () => {
      const r = await this.call('GET', url);
      if (r.body?.status === 'failed') throw new Error(`${what}: failed: ${JSON.stringify(r.body)}`);
      return r.status === 200 && done(r.body) ? r.body : undefined;
    }, timeoutMs);
  }
}

async function startDataSystem(ctx: BenchContext, key: string, hostId: string): Promise<System> {
  const system = await startSystem({
    label: 'dp',
    only: ['orchestrator', 'storage-service', 'snapshot-service', 'backup-service', 'image-service'],
    portBase: 19280,
    env: {
      STRATA_BOOTSTRAP_ADMIN_KEY: key,
      STRATA_IMAGE_SERVICE_URL: 'http://127.0.0.1:19284',
      STRATA_BACKUP_HOST_ID: hostId,
      STRATA_DATA_MOVER_HOST_ID: hostId,
    },
  });
  // The backup service's data mover: this machine, registered as a host of the zone.
  const bus = new KafkaMessageBus({ brokers: system.infra.kafkaBrokers, clientId: 'bench-data-path' });
  const names = topicNames(system.infra.topicPrefix);
  let registered = false;
  const sub = await bus.subscribe({
    groupId: 'bench-data-path-observer',
    topics: [names.storageEvents],
    handle: async (m) => {
      const e = JSON.parse(m.value!.toString('utf8')) as { type: string; aggregateId: string };
      if (e.type === 'HostRegistered' && e.aggregateId === hostId) registered = true;
    },
  });
  try {
    const register = commandEnvelope('RegisterHost', hostId, { name: 'bench-host', zoneId: 'zone-b', hypervisor: 'kvm' }, { tenant: null });
    await bus.publish([{ topic: names.storageCommands, key: hostId, value: JSON.stringify(register) }]);
    await eventually('the data mover host registered', async () => (registered ? true : undefined), 60_000);
  } finally {
    await sub.stop();
    await bus.close();
  }
  ctx.log('services up, data mover host registered');
  return system;
}

export const dataPath: Bench = {
  name: 'data-path',
  summary: 'qemu-img spooling vs dd, ROOT clone from a cached base vs full copy, backup/restore vs raw read, incremental backup bytes',
  async run(ctx) {
    const rows: ResultRow[] = [];
    const skipped: string[] = [];
    const details: Record<string, unknown> = {};
    const wanted = ctx.quick ? [1 * GiB] : [1 * GiB, 8 * GiB];
    if (ctx.quick) skipped.push('8 GiB sizes (--quick runs 1 GiB only)');
    const fs = statfsSync(ctx.workDir);
    let free = fs.bavail * fs.bsize;
    const sizes: number[] = [];
    for (const s of wanted) {
      // Source, template, spool target, copy; then volume, clone, restored volume, backup chunks, full copy.
      const need = 6 * s + 2 * GiB;
      if (free >= need) {
        sizes.push(s);
        free -= need;
      } else skipped.push(`${s / GiB} GiB: needs about ${round(need / GiB, 1)} GiB free in ${ctx.workDir}, ${round(free / GiB, 1)} GiB left`);
    }
    if (sizes.length === 0) throw new Error(`not enough free space: ${skipped.join('; ')}`);
    const cold = await dropCaches();
    details.pageCache = cold ? 'dropped before every timed read' : 'could not be dropped (not root): reads may come from memory';
    if (!cold) skipped.push('cold-cache reads: /proc/sys/vm/drop_caches not writable, figures include the page cache');

    const key = `bench-admin-${randomBytes(24).toString('base64url')}`;
    const hostId = randomUUID();
    const system = await startDataSystem(ctx, key, hostId);
    const api = new Api(system.services.find((s) => s.name === 'orchestrator')!.url, key);
    try {
      const poolDir = path.join(ctx.workDir, 'pool');
      const targetDir = path.join(ctx.workDir, 'target');
      await mkdir(poolDir, { recursive: true });
      await mkdir(targetDir, { recursive: true });
      const pool = await api.command('/pools', { name: 'bench-files', plugin: 'file', zoneId: 'zone-b', config: { path: poolDir } });
      const target = await api.command('/backup-targets', { name: 'bench-dir', kind: 'directory', directory: { path: targetDir } });
      for (const size of sizes) {
        const label = `${size / GiB} GiB`;
        const d: Record<string, unknown> = {};
        details[label] = d;
        const scratch = path.join(ctx.workDir, `scratch-${size}`);
        await mkdir(scratch, { recursive: true });
        const source = path.join(scratch, 'source.raw');
        await writeImage(source, size);

        // 1. Template spooling: qcow2 -> raw as the storage service runs it (convert -n onto an existing target) vs dd of the raw bytes.
        const qcow2 = path.join(scratch, 'template.qcow2');
        await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', source, qcow2]);
        const spoolTarget = path.join(scratch, 'spool.raw');
        await run('truncate', ['-s', String(size), spoolTarget]);
        await dropCaches();
        const spoolSec = await seconds(async () => {
          await run('qemu-img', ['convert', '-n', '-f', 'qcow2', '-O', 'raw', qcow2, spoolTarget]);
          await run('sync', [spoolTarget]);
        });
        await rm(spoolTarget);
        await rm(qcow2);
        await dropCaches();
        const ddSec = await seconds(() => run('dd', [`if=${source}`, `of=${path.join(scratch, 'copy.raw')}`, 'bs=4M', 'conv=fsync', 'status=none']));
        await rm(path.join(scratch, 'copy.raw'));
        rows.push({ metric: `${label} template spool (qemu-img convert)`, value: mbps(size, spoolSec), unit: 'MiB/s', baseline: mbps(size, ddSec), baselineLabel: 'dd of the raw bytes', ratio: ratio(mbps(size, spoolSec), mbps(size, ddSec)) });
        d.spool = { spoolSec, ddSec };
        ctx.log(`${label}: spool ${round(spoolSec)} s, dd ${round(ddSec)} s`);

        // The volume, filled with the same bytes.
        const created = await api.command('/volumes', { name: `bench-${size / GiB}g`, poolId: pool.poolId, sizeBytes: size });
        const volume = await api.until('the volume ready', `/volumes/${created.volumeId}`, (b) => b.status === 'ready');
        await run('dd', [`if=${source}`, `of=${volume.path}`, 'bs=4M', 'conv=notrunc,fsync', 'status=none']);
        await rm(source);

        // 2. Backup (full) and restore through the backup service vs a raw sequential read.
        await dropCaches();
        const readSec = await seconds(() => run('dd', [`if=${volume.path}`, 'of=/dev/null', 'bs=4M', 'status=none']));
        const rawRead = mbps(size, readSec);
        const backUp = async () => {
          await dropCaches();
          let accepted: any;
          const sec = await seconds(async () => {
            accepted = await api.command(`/volumes/${volume.id}/backups`, { targetId: target.targetId });
            await api.until('the backup settled', `/backups/${accepted.backupId}`, (b) => b.status === 'completed');
          });
          const b = (await api.call('GET', `/backups/${accepted.backupId}`)).body;
          return { sec, backup: b };
        };
        const full = await backUp();
        rows.push({ metric: `${label} full backup (directory target)`, value: mbps(size, full.sec), unit: 'MiB/s', baseline: rawRead, baselineLabel: 'raw sequential read', ratio: ratio(mbps(size, full.sec), rawRead) });
        await dropCaches();
        let restoreBody: any;
        const restoreSec = await seconds(async () => {
          restoreBody = await api.command(`/backups/${full.backup.id}/restore`, { poolId: pool.poolId, name: `bench-restored-${size / GiB}g` });
          await api.until('the restore completed', `/restores/${restoreBody.restoreId}`, (b) => b.status === 'completed');
        });
        rows.push({ metric: `${label} restore to a new volume`, value: mbps(size, restoreSec), unit: 'MiB/s', baseline: rawRead, baselineLabel: 'raw sequential read', ratio: ratio(mbps(size, restoreSec), rawRead) });
        ctx.log(`${label}: raw read ${round(readSec)} s, backup ${round(full.sec)} s, restore ${round(restoreSec)} s`);

        // 3. Incremental backups: unchanged, then after 1 % of the volume changed in one place.
        const same = await backUp();
        await overwrite(volume.path, Math.floor(size * 0.4) + 12345, Math.round(size / 100));
        const onePct = await backUp();
        const fullBytes = full.backup.bytesWritten as number;
        rows.push({ metric: `${label} full backup, bytes stored`, value: fullBytes, unit: 'bytes', note: `${full.backup.newChunks} new chunks of ${full.backup.chunks}` });
        rows.push({ metric: `${label} incremental, unchanged volume, bytes stored`, value: same.backup.bytesWritten, unit: 'bytes', baseline: fullBytes, baselineLabel: 'full backup', ratio: ratio(same.backup.bytesWritten, fullBytes), note: `${same.backup.newChunks} new chunks` });
        rows.push({ metric: `${label} incremental, 1 % changed, bytes stored`, value: onePct.backup.bytesWritten, unit: 'bytes', baseline: fullBytes, baselineLabel: 'full backup', ratio: ratio(onePct.backup.bytesWritten, fullBytes), note: `${onePct.backup.newChunks} new chunks` });
        d.backups = { readSec, full, restoreSec, unchanged: same, onePercent: onePct };

        // 4. A ROOT clone from a cached base: the base is a snapshot on the pool, the clone CreateVolume fromSnapshot
        //    (what a template deployment does once the base exists) vs a full copy of the bytes.
        let snap: any;
        const snapSec = await seconds(async () => {
          snap = await api.command(`/volumes/${volume.id}/snapshots`, { name: `bench-base-${size / GiB}g` });
          await api.until('the base snapshot ready', `/snapshots/${snap.snapshotId}`, (b) => b.status === 'ready');
        });
        await dropCaches();
        let clone: any;
        const cloneSec = await seconds(async () => {
          clone = await api.command(`/snapshots/${snap.snapshotId}/volumes`, { name: `bench-root-${size / GiB}g` });
          await api.until('the clone ready', `/volumes/${clone.volumeId}`, (b) => b.status === 'ready');
        });
        await dropCaches();
        const fullCopy = path.join(scratch, 'full-copy.raw');
        const copySec = await seconds(() => run('dd', [`if=${volume.path}`, `of=${fullCopy}`, 'bs=4M', 'conv=fsync', 'status=none']));
        await rm(fullCopy);
        rows.push({ metric: `${label} base snapshot (once per template and pool)`, value: round(snapSec, 3), unit: 's' });
        rows.push({ metric: `${label} ROOT clone from the cached base`, value: round(cloneSec, 3), unit: 's', baseline: round(copySec, 3), baselineLabel: 'full copy (dd)', ratio: ratio(cloneSec, copySec) });
        d.clone = { snapSec, cloneSec, copySec };
        ctx.log(`${label}: snapshot ${round(snapSec)} s, clone ${round(cloneSec)} s, full copy ${round(copySec)} s`);
        await rm(scratch, { recursive: true, force: true });
      }
    } finally {
      await system.stop();
    }
    return { status: 'ok', rows, skipped, details };
  },
};
