import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { topics as topicNames } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, infraEnv, type TestInfra } from '@strata/testing';

/*
 * The fault run, first slice (docs/fault-tests.md, "The fault run: first slice"): the storage
 * service as a process on a file pool, a steady stream of CreateVolume / DeleteVolume commands
 * each published twice with the same messageId, the service SIGKILLed at seeded random moments
 * and started again; after a drain, the invariants are checked and the counts printed.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PORT = 19281;
const SIZE = 4 * 2 ** 20;
const OUTCOMES = new Set(['VolumeCreated', 'VolumeCreationFailed', 'VolumeDeleted', 'VolumeDeletionFailed', 'CommandRejected']);
const TRANSITIONAL = new Set(['allocated', 'creating', 'deleting', 'resizing', 'migrating']);

interface RunningService {
  name: string;
  url: string;
  logFile: string;
  child: { kill(signal: NodeJS.Signals): boolean; exitCode: number | null; once(e: 'exit', f: () => void): void };
  exited: { code: number | null; signal: string | null } | null;
}
interface ServicesModule {
  startServices(options: { env: Record<string, string>; logDir: string; only: string[] }): Promise<RunningService[]>;
  stopServices(running: RunningService[]): Promise<void>;
}

interface Options {
  seconds: number;
  rate: number;
  kills: number;
  seed: number;
  drainSeconds: number;
}

interface Event {
  messageId: string;
  type: string;
  aggregateId: string;
  causationId: string | null;
  data?: { error?: { code?: string } };
}

interface Sent {
  kind: 'create' | 'delete';
  volumeId: string;
}

/** mulberry32: a small seeded generator, so one seed repeats one run's kill moments and choices. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const opts: Options = quick
    ? { seconds: 20, rate: 10, kills: 2, seed: Math.floor(Math.random() * 2 ** 31), drainSeconds: 60 }
    : { seconds: 120, rate: 40, kills: 8, seed: Math.floor(Math.random() * 2 ** 31), drainSeconds: 120 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--quick') continue;
    const key = { '--seconds': 'seconds', '--rate': 'rate', '--kills': 'kills', '--seed': 'seed', '--drain': 'drainSeconds' }[flag] as keyof Options | undefined;
    const value = Number(argv[i + 1]);
    if (!key || !Number.isFinite(value) || value < 0) {
      throw new Error(`usage: node faults/dist/main.js [--quick] [--seconds N] [--rate N] [--kills N] [--seed N] [--drain N] (bad argument ${flag})`);
    }
    opts[key] = value;
    i++;
  }
  return opts;
}

function loadInfraEnv(): void {
  const file = path.join(REPO_ROOT, '.strata', 'env');
  if (!process.env.DATABASE_URL && existsSync(file)) process.loadEnvFile(file);
  if (!process.env.DATABASE_URL || !process.env.KAFKA_BROKERS) {
    throw new Error('DATABASE_URL and KAFKA_BROKERS are not set and .strata/env is missing: run `npm run infra:up` first');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  loadInfraEnv();
  const random = seeded(opts.seed);
  log(`seed ${opts.seed} (--seed ${opts.seed} to repeat the kill moments); ${opts.seconds} s at ${opts.rate} commands/s, ${opts.kills} kills`);

  const infra: TestInfra = await createTestInfra('faults');
  const poolDir = await mkdtemp(path.join(tmpdir(), 'strata-faults-'));
  const lib = (await import(path.join(REPO_ROOT, 'scripts', 'lib', 'services.mjs'))) as ServicesModule;
  const logDir = path.join(REPO_ROOT, '.strata', 'logs', `faults-${infra.topicPrefix.replace(/\W/g, '')}`);
  const env = { ...infraEnv(infra), STORAGE_SERVICE_PORT: String(PORT) };
  const t = topicNames(infra.topicPrefix);
  const bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'faults' });
  let running: RunningService[] = [];
  let sub: Subscription | undefined;
  const events: Event[] = [];
  const start = async () => {
    running = await lib.startServices({ env, logDir, only: ['storage-service'] });
  };
  const publish = (type: string, volumeId: string, data: unknown, messageId: string) => {
    const value = JSON.stringify(commandEnvelope(type, volumeId, data, { messageId }));
    // Every command twice, same messageId: the inbox must make the second a no-op.
    return bus.publish([
      { topic: t.storageCommands, key: volumeId, value },
      { topic: t.storageCommands, key: volumeId, value },
    ]);
  };

  try {
    log(`database and topic prefix ${infra.topicPrefix}; file pool ${poolDir}; service logs ${logDir}`);
    await start();
    sub = await bus.subscribe({
      groupId: `${infra.topicPrefix}faults-observer`,
      topics: [t.storageEvents],
      fromBeginning: true,
      handle: async (m) => {
        events.push(JSON.parse(m.value!.toString('utf8')) as Event);
      },
    });

    // The pool, with the service running normally.
    const poolId = randomUUID();
    const addId = randomUUID();
    await bus.publish([
      {
        topic: t.storageCommands,
        key: poolId,
        value: JSON.stringify(commandEnvelope('AddStoragePool', poolId, { name: 'faults-pool', plugin: 'file', zoneId: 'z1', config: { path: poolDir }, overProvisioningFactor: 100 }, { messageId: addId, tenant: null })),
      },
    ]);
    const added = await eventually('StoragePoolAdded', async () => events.find((e) => e.causationId === addId), 60_000);
    if (added.type !== 'StoragePoolAdded') throw new Error(`AddStoragePool was answered ${added.type}; see ${logDir}`);
    log(`pool ${poolId} added`);

    // The stream: creates at the offered rate; each created volume is deleted (probability 0.7)
    // once its VolumeCreated is seen, so some volumes stay and the pool is never empty.
    const sent = new Map<string, Sent>();
    const deleteAsked = new Set<string>();
    const publishes: Promise<void>[] = [];
    const killAt = Array.from({ length: opts.kills }, () => (0.1 + 0.8 * random()) * opts.seconds * 1000).sort((a, b) => a - b);
    log(`kill moments (ms into the stream): ${killAt.map((k) => Math.round(k)).join(', ') || 'none'}`);
    const kills: { atMs: number; downMs: number }[] = [];
    const killAndRestart = async (atMs: number) => {
      const svc = running[0];
      const t0 = Date.now();
      if (svc && !svc.exited && svc.child.exitCode === null) {
        const gone = new Promise<void>((r) => svc.child.once('exit', () => r()));
        svc.child.kill('SIGKILL');
        await gone;
      }
      await sleep(Math.floor(random() * 2000));
      await start();
      kills.push({ atMs, downMs: Date.now() - t0 });
      log(`killed at ${Math.round(atMs)} ms, back after ${Date.now() - t0} ms`);
    };
    let cursor = 0; // events already looked at for deletes
    const deleteChance = () => random() < 0.7;
    const scheduleDeletes = () => {
      for (; cursor < events.length; cursor++) {
        const e = events[cursor];
        if (e.type !== 'VolumeCreated' || deleteAsked.has(e.aggregateId)) continue;
        const s = e.causationId ? sent.get(e.causationId) : undefined;
        if (!s || s.kind !== 'create') continue;
        deleteAsked.add(e.aggregateId);
        if (!deleteChance()) continue;
        const messageId = randomUUID();
        sent.set(messageId, { kind: 'delete', volumeId: e.aggregateId });
        publishes.push(publish('DeleteVolume', e.aggregateId, {}, messageId));
      }
    };

    const startMs = Date.now();
    let created = 0;
    // The kills run beside the stream, one after another: a kill whose moment came while the
    // service was still restarting from the previous one happens as soon as it is back.
    const killing = (async () => {
      for (const at of killAt) {
        const wait = startMs + at - Date.now();
        if (wait > 0) await sleep(wait);
        await killAndRestart(Date.now() - startMs);
      }
    })();
    for (;;) {
      const elapsed = Date.now() - startMs;
      if (elapsed >= opts.seconds * 1000) break;
      const due = Math.floor((elapsed / 1000) * opts.rate) - created;
      for (let i = 0; i < due; i++) {
        const volumeId = randomUUID();
        const messageId = randomUUID();
        sent.set(messageId, { kind: 'create', volumeId });
        publishes.push(publish('CreateVolume', volumeId, { name: `f-${volumeId.slice(0, 8)}`, poolId, sizeBytes: SIZE }, messageId));
        created++;
      }
      scheduleDeletes();
      await sleep(20);
    }
    log(`stream over after ${Date.now() - startMs} ms; waiting for the kills still due`);
    await killing;
    log(`kills done: ${sent.size} commands sent (each twice); draining up to ${opts.drainSeconds} s`);

    // Drain: until every command has an outcome and no delete is left to send, or the drain ends.
    const drainEnd = Date.now() + opts.drainSeconds * 1000;
    const outcomeOf = () => {
      const m = new Map<string, Event[]>();
      for (const e of events) if (e.causationId && OUTCOMES.has(e.type)) m.set(e.causationId, [...(m.get(e.causationId) ?? []), e]);
      return m;
    };
    while (Date.now() < drainEnd) {
      scheduleDeletes();
      const o = outcomeOf();
      if ([...sent.keys()].every((id) => o.has(id)) && cursor === events.length) break;
      await sleep(250);
    }
    await Promise.all(publishes);
    await sleep(3000); // late duplicates, if any, have a moment to show

    // --- checks -----------------------------------------------------------------------------
    const outcomes = outcomeOf();
    let accepted = 0;
    let rejected = 0;
    let missing = 0;
    let duplicated = 0; // commands with two or more distinct outcome events (different event messageIds)
    let redelivered = 0; // copies of one outcome event (same event messageId): allowed, the relay is at-least-once
    const failures: Record<string, number> = {};
    const samples: string[] = [];
    for (const [id, s] of sent) {
      const list = outcomes.get(id) ?? [];
      const distinct = new Map(list.map((e) => [e.messageId, e]));
      redelivered += list.length - distinct.size;
      if (distinct.size === 0) {
        missing++;
        if (samples.length < 5) samples.push(`no outcome for ${s.kind} ${id} (volume ${s.volumeId})`);
        continue;
      }
      if (distinct.size > 1) {
        duplicated++;
        if (samples.length < 5) samples.push(`${distinct.size} outcomes for ${s.kind} ${id}: ${[...distinct.values()].map((e) => e.type).join(', ')}`);
      }
      const first = [...distinct.values()][0];
      if (first.type === 'CommandRejected') rejected++;
      else accepted++;
      if (first.type.endsWith('Failed') || first.type === 'CommandRejected') {
        const key = first.data?.error?.code ? `${first.type}:${first.data.error.code}` : first.type;
        failures[key] = (failures[key] ?? 0) + 1;
      }
    }

    // Each volume's status, folded from its events on the topic (one partition per key: in order).
    const FOLD: Record<string, string> = {
      VolumeCreationRequested: 'creating',
      VolumeCreated: 'ready',
      VolumeCreationFailed: 'error',
      VolumeDeletionRequested: 'deleting',
      VolumeDeleted: 'deleted',
      VolumeDeletionFailed: 'error',
    };
    const status = new Map<string, string>();
    const seenEvent = new Set<string>();
    for (const e of events) {
      if (seenEvent.has(e.messageId)) continue;
      seenEvent.add(e.messageId);
      const next = FOLD[e.type];
      if (next) status.set(e.aggregateId, next);
    }
    // The same fold over the service's own log (storage.events in its database): the topic must
    // say what the log says (an event in the log but never relayed shows up here).
    const db = new Client({ connectionString: infra.databaseUrl });
    await db.connect();
    const logged = new Map<string, string>();
    try {
      const { rows: logRows } = await db.query<{ stream_id: string; type: string }>(
        `SELECT stream_id, type FROM storage.events WHERE stream_id LIKE 'volume-%' ORDER BY stream_id, stream_version`,
      );
      for (const r of logRows) {
        const next = FOLD[r.type];
        if (next) logged.set(r.stream_id.slice('volume-'.length), next);
      }
    } finally {
      await db.end();
    }
    const disagree = [...new Set([...status.keys(), ...logged.keys()])].filter((id) => status.get(id) !== logged.get(id));
    for (const id of disagree.slice(0, 3)) samples.push(`volume ${id}: ${status.get(id) ?? 'absent'} on the topic, ${logged.get(id) ?? 'absent'} in storage.events`);
    const byStatus: Record<string, number> = {};
    for (const s of status.values()) byStatus[s] = (byStatus[s] ?? 0) + 1;
    const transitional = [...status].filter(([, s]) => TRANSITIONAL.has(s));
    for (const [id, s] of transitional.slice(0, 5 - Math.min(5, samples.length))) samples.push(`volume ${id} left ${s}`);

    // The pool's files against the live volumes: a file's name holds its volume's id.
    // Names starting with a dot are the driver's own: its directories (.snapshots, clones) and
    // the scratch files of an attempt a kill cut short (.strata-probe-*, .strata-tmp-*), which
    // the file driver sweeps on a later connect once they are old enough. Counted, not objects.
    const entries = await readdir(poolDir);
    const scratch = entries.filter((f) => f.startsWith('.strata-probe-') || f.startsWith('.strata-tmp-'));
    const files = entries.filter((f) => !f.startsWith('.'));
    const live = new Set([...status].filter(([, s]) => s === 'ready').map(([id]) => id));
    const errored = new Set([...status].filter(([, s]) => s === 'error').map(([id]) => id));
    const idOf = (f: string) => /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(f)?.[0];
    const fileIds = new Map<string, number>();
    const orphans: string[] = [];
    for (const f of files) {
      const id = idOf(f);
      if (!id || !status.has(id)) {
        orphans.push(f);
        continue;
      }
      fileIds.set(id, (fileIds.get(id) ?? 0) + 1);
    }
    for (const [id, n] of fileIds) {
      if (!live.has(id) && !errored.has(id)) orphans.push(`${id} (${status.get(id)})`);
      else if (n > 1) orphans.push(`${id} (${n} files)`);
    }
    const missingFiles = [...live].filter((id) => !fileIds.has(id));
    for (const o of orphans.slice(0, 3)) samples.push(`orphan backend file ${o}`);
    for (const m of missingFiles.slice(0, 3)) samples.push(`ready volume ${m} has no backend file`);

    const rows: [string, number | string, boolean][] = [
      ['seed', opts.seed, false],
      ['stream seconds / offered rate', `${opts.seconds} / ${opts.rate}/s`, false],
      ['storage-service SIGKILLs (and restarts)', kills.length, false],
      ['commands sent (distinct messageIds)', sent.size, false],
      ['  CreateVolume', [...sent.values()].filter((s) => s.kind === 'create').length, false],
      ['  DeleteVolume', [...sent.values()].filter((s) => s.kind === 'delete').length, false],
      ['messages published (each command twice)', sent.size * 2, false],
      ['accepted commands (an outcome other than CommandRejected)', accepted, false],
      ['rejected commands (CommandRejected)', rejected, false],
      ['failure outcomes by type:code', JSON.stringify(failures), false],
      ['commands with no outcome', missing, missing > 0],
      ['commands with more than one outcome', duplicated, duplicated > 0],
      ['outcome events seen again (same event id, allowed)', redelivered, false],
      ['volumes by final status', JSON.stringify(byStatus), false],
      ['volumes in a transitional state', transitional.length, transitional.length > 0],
      ['volumes whose status on the topic differs from storage.events', disagree.length, disagree.length > 0],
      ['volume files in the pool directory', files.length, false],
      ['driver scratch files left by kills (.strata-probe-/-tmp-)', scratch.length, false],
      ['live (ready) volumes', live.size, false],
      ['backend files without a live volume (orphans)', orphans.length, orphans.length > 0],
      ['live volumes without a backend file', missingFiles.length, missingFiles.length > 0],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log('');
    console.log(`${'check'.padEnd(width)}  count`);
    console.log(`${'-'.repeat(width)}  -----`);
    for (const [name, value, bad] of rows) console.log(`${name.padEnd(width)}  ${value}${bad ? '   <-- VIOLATION' : ''}`);
    const violations = rows.filter((r) => r[2]).length;
    console.log('');
    for (const s of samples) console.log(`  e.g. ${s}`);
    console.log(violations === 0 ? 'fault run: no violation' : `fault run: ${violations} violated invariant(s); seed ${opts.seed}; service logs in ${logDir}`);
    return violations === 0 ? 0 : 1;
  } finally {
    await sub?.stop().catch(() => undefined);
    await lib.stopServices(running).catch(() => undefined);
    await bus.close().catch(() => undefined);
    await infra.dispose().catch(() => undefined);
    await rm(poolDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
