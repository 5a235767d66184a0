import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { topics as topicNames } from '@strata/contracts';
import { KafkaMessageBus } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, infraEnv, type TestInfra } from '@strata/testing';
import { startRunInfra, type RunInfra } from './infra';
import { BackupStream } from './backups';
import { Observer } from './observer';
import { parseOptions, SERVICE_NAMES, type Options } from './options';
import { makePlan, type PlannedFault } from './plan';
import { filePool, type FaultPool } from './pools';
import { Publisher } from './publisher';
import { powerflexPool } from './powerflex-pool';
import { storpoolPool } from './storpool-pool';
import { log, printReport, type CheckResult } from './report';
import { checkReadModels } from './read-models';
import { PORTS, REPO_ROOT, Services } from './services';
import { SnapshotStream } from './snapshots';
import type { CommandStream } from './stream';
import { VolumeStream, type RunPool } from './volumes';

/*
 * The fault run (docs/fault-tests.md): the five services as processes on the run's own
 * PostgreSQL and Kafka, a steady stream of commands each published twice, and faults at
 * seeded moments (SIGKILL of a service, a broker or database restart, backend faults); after a
 * drain, the invariants are checked and the counts printed. Exit 0: no violation; 1: an
 * invariant broke; 2: the run itself failed.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const opts: Options = parseOptions(process.argv.slice(2));
  const plan = makePlan(opts);
  log(
    `seed ${opts.seed} (--seed ${opts.seed} repeats the plan); ${opts.seconds} s at ${opts.rate} creates/s; ` +
      `${opts.kills} kills of ${opts.killTargets.join('/')}, ${opts.kafkaRestarts} Kafka and ${opts.postgresRestarts} PostgreSQL restarts, ` +
      `${opts.backendFaultRate} backend faults/s`,
  );
  const runDir = await mkdtemp(path.join(tmpdir(), 'strata-faults-'));
  let runInfra: RunInfra | undefined;
  let infra: TestInfra | undefined;
  let services: Services | undefined;
  let bus: KafkaMessageBus | undefined;
  let observer: Observer | undefined;
  const pools: FaultPool[] = [];
  try {
    runInfra = await startRunInfra(path.join(runDir, 'infra'), log);
    // Ctrl-C must not leave the run's servers and services behind.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log(`${signal}: stopping the services and the run's servers`);
        void Promise.allSettled([services?.stop(), runInfra?.stop()]).then(() => process.exit(130));
      });
    }
    log(`infrastructure: ${runInfra.description}`);
    process.env.DATABASE_URL = runInfra.databaseUrl;
    process.env.KAFKA_BROKERS = runInfra.kafkaBrokers.join(',');
    infra = await createTestInfra('faults');
    const logDir = path.join(REPO_ROOT, '.strata', 'logs', `faults-${infra.topicPrefix.replace(/\W/g, '')}`);
    const hostId = randomUUID();
    const adminKey = `stk_${Buffer.from(randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, ''), 'hex').toString('base64url')}`;
    const env = {
      ...infraEnv(infra),
      STRATA_BOOTSTRAP_ADMIN_KEY: adminKey,
      ...Object.fromEntries(SERVICE_NAMES.map((s) => [`${s.toUpperCase().replace(/-/g, '_')}_PORT`, String(PORTS[s])])),
      STRATA_IMAGE_SERVICE_URL: `http://127.0.0.1:${PORTS['image-service']}`,
      STRATA_BACKUP_HOST_ID: hostId,
      STRATA_DATA_MOVER_HOST_ID: hostId,
      // A killed service's new consumer waits this long for the dead one's session (docs/configuration.md).
      STRATA_KAFKA_SESSION_TIMEOUT_MS: '10000',
    };
    log(`database and topic prefix ${infra.topicPrefix}; service logs in ${logDir}`);
    services = new Services(env, logDir);
    await services.start(SERVICE_NAMES);
    log('all five services answer /health');

    const t = topicNames(infra.topicPrefix);
    // The run's own consumer rejoins after a broker crash as fast as the services do.
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'faults', sessionTimeoutMs: 10_000 });
    observer = new Observer(bus, `${infra.topicPrefix}faults-observer`, [t.storageEvents, t.snapshotEvents, t.backupEvents]);
    await observer.start();
    const publisher = new Publisher(bus);

    // The pools, added while nothing is failing.
    const poolDir = path.join(runDir, 'file-pool');
    await mkdir(poolDir);
    pools.push(filePool(poolDir), await storpoolPool(runDir), await powerflexPool(runDir, infra.databaseUrl));
    const runPools: RunPool[] = [];
    for (const pool of pools) {
      const poolId = randomUUID();
      const messageId = randomUUID();
      await bus.publish([
        {
          topic: t.storageCommands,
          key: poolId,
          value: JSON.stringify(commandEnvelope('AddStoragePool', poolId, { name: `faults-${pool.label}`, ...pool.addData }, { messageId, tenant: null })),
        },
      ]);
      const o = observer;
      const added = await eventually(`AddStoragePool (${pool.label})`, async () => o.causedBy(messageId), 60_000);
      if (added.type !== 'StoragePoolAdded') throw new Error(`AddStoragePool (${pool.label}) was answered ${added.type}: ${JSON.stringify(added.data)}`);
      runPools.push({ id: poolId, pool });
      log(`pool ${pool.label} ${poolId} added`);
    }

    const volumes = new VolumeStream({
      plan,
      rate: opts.rate,
      pools: runPools,
      publisher,
      observer,
      commandsTopic: t.storageCommands,
      eventsTopic: t.storageEvents,
      databaseUrl: infra.databaseUrl,
    });
    const backupPools = new Set(runPools.filter((p) => p.pool.label !== 'powerflex').map((p) => p.id));
    const backups = new BackupStream({
      seed: opts.seed,
      rate: opts.backupRate,
      publisher,
      observer,
      storageCommands: t.storageCommands,
      backupCommands: t.backupCommands,
      backupEvents: t.backupEvents,
      hostId,
      zoneId: 'z1',
      targetDir: path.join(runDir, 'backup-target'),
      // The backup host is registered for file and StorPool pools; a PowerFlex volume would need its SDC mapping (not covered).
      candidates: () => volumes.keptVolumes().filter((v) => backupPools.has(v.poolId)),
      databaseUrl: infra.databaseUrl,
    });
    if (opts.backupRate > 0) await backups.setUp();
    const snapshots = new SnapshotStream({
      seed: opts.seed,
      rate: Math.max(1, opts.rate / 4),
      volumes,
      pools: runPools,
      publisher,
      observer,
      commandsTopic: t.snapshotCommands,
      eventsTopic: t.snapshotEvents,
      databaseUrl: infra.databaseUrl,
    });
    const streams: CommandStream[] = [volumes, snapshots, ...(opts.backupRate > 0 ? [backups] : [])];

    // The faults: disruptive ones (kills, restarts) one after another in one lane, so a fault
    // due while the system is still coming back happens as soon as it is back; backend faults
    // in a lane of their own, on time.
    const applied: { fault: PlannedFault; atMs: number; tookMs: number }[] = [];
    let merged = 0; // backend faults due while the last one still waited for its call
    const injectedTo: Record<string, number> = {};
    const startMs = Date.now();
    const lane = async (faults: PlannedFault[]) => {
      for (const f of faults) {
        const wait = startMs + f.atMs - Date.now();
        if (wait > 0) await sleep(wait);
        const at = Date.now() - startMs;
        const t0 = Date.now();
        if (f.kind === 'kill') await services!.kill(f.service, f.downMs);
        else if (f.kind === 'kafka') await runInfra!.restartKafka(f.downMs);
        else if (f.kind === 'postgres') await runInfra!.restartPostgres(f.downMs);
        else if (f.kind === 'backend') {
          const injectable = pools.filter((p) => p.inject);
          const target = injectable[Math.floor(f.pick * injectable.length)];
          if (!target?.inject) continue;
          if (!(await target.inject(f.fault))) {
            merged++;
            continue;
          }
          injectedTo[target.label] = (injectedTo[target.label] ?? 0) + 1;
        }
        applied.push({ fault: f, atMs: at, tookMs: Date.now() - t0 });
        if (f.kind !== 'backend') log(`${describe(f)} at ${at} ms (planned ${Math.round(f.atMs)}), back after ${Date.now() - t0} ms`);
      }
    };
    const faulting = Promise.all([lane(plan.faults.filter((f) => f.kind !== 'backend')), lane(plan.faults.filter((f) => f.kind === 'backend'))]);

    let lastProgress = Date.now();
    for (;;) {
      const elapsed = Date.now() - startMs;
      if (elapsed >= opts.seconds * 1000) break;
      for (const s of streams) {
        s.tick(elapsed);
        s.react();
      }
      if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        log(`${Math.round(elapsed / 1000)} s: ${streams.map((s) => `${s.name}: ${s.summary()}`).join('; ')}; ${publisher.pending()} publishes in flight`);
      }
      await sleep(20);
    }
    log('stream over; waiting for the faults still due');
    await faulting;
    log(`faults done; draining up to ${opts.drainSeconds} s`);
    const drainEnd = Date.now() + opts.drainSeconds * 1000;
    while (Date.now() < drainEnd) {
      for (const s of streams) s.react();
      if (publisher.pending() === 0 && streams.every((s) => s.settled())) break;
      if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        log(`draining: ${streams.map((s) => `${s.name}: ${s.summary()}`).join('; ')}`);
      }
      await sleep(250);
    }
    await publisher.flush();
    await sleep(3000); // late duplicates, if any, have a moment to show

    const counts = (kind: PlannedFault['kind']) => applied.filter((a) => a.fault.kind === kind).length;
    const gone = services.exitedOnTheirOwn();
    const results: CheckResult[] = [
      {
        title: 'the run',
        rows: [
          { name: 'seed', value: opts.seed },
          { name: 'stream seconds / offered creates per second', value: `${opts.seconds} / ${opts.rate}` },
          { name: 'service SIGKILLs (and restarts)', value: `${counts('kill')} (${summarizeKills(applied)})` },
          { name: 'Kafka restarts', value: counts('kafka') },
          { name: 'PostgreSQL restarts', value: counts('postgres') },
          { name: 'backend faults injected', value: `${counts('backend')} (${summarizeBackend(applied)}; ${JSON.stringify(injectedTo)})` },
          { name: 'backend faults not injected (one still waiting for its call)', value: merged },
          { name: 'messages published (every command twice)', value: publisher.messages },
          { name: 'publishes retried (broker away)', value: publisher.retries },
          { name: 'services that exited on their own', value: gone.length, violation: gone.length > 0 },
        ],
        samples: gone.map((g) => `${g} exited; see ${logDir}`),
      },
    ];
    for (const s of streams) results.push(...(await s.check()));
    results.push(await checkReadModels({ orchestratorUrl: services.url('orchestrator'), adminKey: env.STRATA_BOOTSTRAP_ADMIN_KEY, databaseUrl: infra.databaseUrl }));
    const violations = printReport(results);
    console.log(violations === 0 ? 'fault run: no violation' : `fault run: ${violations} violated invariant(s); seed ${opts.seed}; service logs in ${logDir}`);
    return violations === 0 ? 0 : 1;
  } finally {
    await observer?.stop();
    await services?.stop().catch(() => undefined);
    await bus?.close().catch(() => undefined);
    await infra?.dispose().catch(() => undefined);
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
    await runInfra?.stop().catch(() => undefined);
    await rm(runDir, { recursive: true, force: true });
  }
}

function describe(f: PlannedFault): string {
  if (f.kind === 'kill') return `SIGKILL ${f.service}`;
  if (f.kind === 'backend') return `backend ${f.fault}`;
  return `${f.kind} restart`;
}

function summarizeKills(applied: readonly { fault: PlannedFault }[]): string {
  const by: Record<string, number> = {};
  for (const a of applied) if (a.fault.kind === 'kill') by[a.fault.service] = (by[a.fault.service] ?? 0) + 1;
  return Object.entries(by).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
}

function summarizeBackend(applied: readonly { fault: PlannedFault }[]): string {
  const by: Record<string, number> = {};
  for (const a of applied) if (a.fault.kind === 'backend') by[a.fault.fault] = (by[a.fault.fault] ?? 0) + 1;
  return Object.entries(by).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
