import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { topics as topicNames } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually } from '@strata/testing';
import { CommandDriver, type Outcome, type RateResult } from '../lib/driver';
import type { Bench, BenchContext, ResultRow } from '../lib/context';
import { ratio } from '../lib/stats';
import { startStorPool, startSystem } from '../lib/system';
import { RawLoop } from './raw-loop';

// Sparse on the file backend, thin on the simulator: nothing is written. Small, so the volumes a
// backlog keeps alive never fill a pool (a rejection is not the path measured): the file plugin
// does not over-provision, and 2,000 queued creates of 16 MiB filled 85 % of a 24 GiB tmpfs.
const SIZE = 4 * 2 ** 20;

interface Series {
  readonly target: string;
  readonly results: RateResult[];
}

function plan(ctx: BenchContext) {
  return ctx.quick ? { rates: [50, 100], seconds: 4, idleMs: 15_000, warmUp: 5 } : { rates: [50, 100, 200, 400], seconds: 10, idleMs: 20_000, warmUp: 20 };
}

function observe(bus: KafkaMessageBus, topic: string, onEvent: (o: Outcome) => void): Promise<Subscription> {
  return bus.subscribe({
    groupId: `bench-observer-${randomUUID().slice(0, 8)}`,
    topics: [topic],
    fromBeginning: true,
    partitionsConsumedConcurrently: 6,
    handle: async (m) => {
      const e = JSON.parse(m.value!.toString('utf8')) as { type: string; causationId: string; aggregateId: string; data?: { error?: { code?: string } } };
      onEvent({ type: e.type, causationId: e.causationId, aggregateId: e.aggregateId, code: e.data?.error?.code });
    },
  });
}

async function runRates(ctx: BenchContext, target: string, driver: CommandDriver): Promise<Series> {
  const p = plan(ctx);
  ctx.log(`${target}: warm-up (${p.warmUp} volumes)`);
  await driver.warmUp(p.warmUp, 60_000);
  const results: RateResult[] = [];
  for (const rate of p.rates) {
    const r = await driver.runRate(rate, p.seconds, p.idleMs);
    ctx.log(`${target} @ ${rate}/s: ${r.throughputPerSec}/s, p50 ${r.all.p50Ms} ms, p99 ${r.all.p99Ms} ms, ${r.failed} failed, ${r.missing} missing`);
    results.push(r);
  }
  return { target, results };
}

/** The storage service on a file pool in /dev/shm and on a StorPool simulator pool, driven over Kafka. */
async function serviceSeries(ctx: BenchContext): Promise<Series[]> {
  const simDir = path.join(ctx.workDir, 'storpool-sim');
  await mkdir(simDir, { recursive: true });
  const sim = await startStorPool(simDir, 'bench-sp-token');
  const system = await startSystem({ label: 'cp', only: ['storage-service'], portBase: 19080 });
  const bus = new KafkaMessageBus({ brokers: system.infra.kafkaBrokers, clientId: 'bench-control-plane' });
  const t = topicNames(system.infra.topicPrefix);
  const seen: Outcome[] = [];
  let driver: CommandDriver | undefined;
  const sub = await observe(bus, t.storageEvents, (o) => {
    if (o.type === 'StoragePoolAdded' || o.type === 'CommandRejected') seen.push(o);
    driver?.onEvent(o);
  });
  const addPool = async (name: string, plugin: string, config: Record<string, unknown>): Promise<string> => {
    const poolId = randomUUID();
    const messageId = randomUUID();
    const cmd = commandEnvelope('AddStoragePool', poolId, { name, plugin, zoneId: 'bench', config, overProvisioningFactor: 100 }, { messageId, tenant: null });
    await bus.publish([{ topic: t.storageCommands, key: poolId, value: JSON.stringify(cmd) }]);
    const outcome = await eventually(`pool ${name} added`, async () => seen.find((o) => o.causationId === messageId), 60_000);
    if (outcome.type !== 'StoragePoolAdded') throw new Error(`AddStoragePool ${name} was rejected; see the storage service log ${system.services[0]?.logFile}`);
    return outcome.aggregateId;
  };
  try {
    const fileDir = path.join(shmDir(ctx), 'file-pool');
    await mkdir(fileDir, { recursive: true });
    const filePool = await addPool('bench-file', 'file', { path: fileDir });
    const spPool = await addPool('bench-storpool', 'storpool', { host: '127.0.0.1', port: sim.port, authToken: 'bench-sp-token', template: 'nvme', devicePath: sim.devicePath });
    const out: Series[] = [];
    driver = new CommandDriver(bus, t.storageCommands, filePool, SIZE);
    out.push(await runRates(ctx, 'storage service, file pool on tmpfs', driver));
    driver = new CommandDriver(bus, t.storageCommands, spPool, SIZE);
    out.push(await runRates(ctx, 'storage service, StorPool simulator', driver));
    return out;
  } finally {
    await sub.stop();
    await bus.close();
    await system.stop();
    await sim.stop();
    await rm(shmDir(ctx), { recursive: true, force: true });
  }
}

/** The file pool's directory on tmpfs (/dev/shm), so the disk is out of the picture; removed after the run. */
function shmDir(ctx: BenchContext): string {
  return path.join('/dev/shm', path.basename(path.dirname(ctx.workDir)));
}

async function rawSeries(ctx: BenchContext): Promise<Series> {
  const infra = await createTestInfra('benchraw');
  const bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'bench-raw' });
  const topics = { commands: `${infra.topicPrefix}raw.commands`, events: `${infra.topicPrefix}raw.events` };
  const loop = new RawLoop(bus, infra.databaseUrl, topics);
  let driver: CommandDriver | undefined;
  let sub: Subscription | undefined;
  try {
    await loop.start();
    sub = await observe(bus, topics.events, (o) => driver?.onEvent(o));
    driver = new CommandDriver(bus, topics.commands, randomUUID(), SIZE);
    return await runRates(ctx, 'raw ceiling (consume -> 1 PG tx -> produce)', driver);
  } finally {
    await sub?.stop();
    await loop.stop();
    await bus.close();
    await infra.dispose();
  }
}

export const controlPlane: Bench = {
  name: 'control-plane',
  summary: 'CreateVolume/DeleteVolume over Kafka at rising rates: storage service (file on tmpfs, StorPool simulator) vs a raw consume->PG->produce loop',
  async run(ctx) {
    const raw = await rawSeries(ctx);
    const services = await serviceSeries(ctx);
    const rows: ResultRow[] = [];
    for (const r of raw.results) {
      rows.push({ metric: `raw loop @${r.offeredPerSec}/s throughput`, value: r.throughputPerSec, unit: 'cmd/s', note: `${r.failed} failed, ${r.missing} missing` });
      rows.push({ metric: `raw loop @${r.offeredPerSec}/s p50 / p99`, value: `${r.all.p50Ms} / ${r.all.p99Ms}`, unit: 'ms' });
    }
    for (const s of services) {
      const short = s.target.includes('file') ? 'file/tmpfs' : 'storpool-sim';
      s.results.forEach((r, i) => {
        const b = raw.results[i];
        rows.push({
          metric: `${short} @${r.offeredPerSec}/s throughput`,
          value: r.throughputPerSec,
          unit: 'cmd/s',
          baseline: b?.throughputPerSec,
          baselineLabel: 'raw loop',
          ratio: ratio(r.throughputPerSec, b?.throughputPerSec),
          note: `${r.failed} failed ${JSON.stringify(r.failures)}, ${r.missing} missing`,
        });
        rows.push({ metric: `${short} @${r.offeredPerSec}/s p50 latency`, value: r.all.p50Ms, unit: 'ms', baseline: b?.all.p50Ms, baselineLabel: 'raw loop', ratio: ratio(r.all.p50Ms, b?.all.p50Ms) });
        rows.push({ metric: `${short} @${r.offeredPerSec}/s p99 latency`, value: r.all.p99Ms, unit: 'ms', baseline: b?.all.p99Ms, baselineLabel: 'raw loop', ratio: ratio(r.all.p99Ms, b?.all.p99Ms) });
      });
    }
    const incomplete = [raw, ...services].some((s) => s.results.some((r) => r.missing > 0 || r.failed > 0));
    return { status: incomplete ? 'partial' : 'ok', rows, skipped: [], details: { raw, services } };
  },
};
