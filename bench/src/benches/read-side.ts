import { randomBytes, randomUUID } from 'node:crypto';
import { topics as topicNames } from '@strata/contracts';
import { KafkaMessageBus } from '@strata/messaging';
import { eventually } from '@strata/testing';
import { Client } from 'pg';
import type { Bench, ResultRow } from '../lib/context';
import { msSince, ratio, round, summarize } from '../lib/stats';
import { startSystem, type System } from '../lib/system';

const SCHEMA = 'orchestrator';
const POOLS = Array.from({ length: 10 }, () => randomUUID());

function envelope(type: string, volumeId: string, version: number, data: Record<string, unknown>) {
  const messageId = randomUUID();
  return {
    messageId,
    kind: 'event',
    type,
    schemaVersion: 1,
    aggregateId: volumeId,
    streamVersion: version,
    occurredAt: new Date().toISOString(),
    correlationId: messageId,
    causationId: randomUUID(),
    tenant: 'acme',
    data,
  };
}

/** Synthetic storage events: per volume its VolumeCreationRequested and VolumeCreated, as the storage service writes them. */
function volumeEvents(n: number, topic: string) {
  const out: { topic: string; key: string; value: string }[] = [];
  for (let i = 0; i < n; i++) {
    const volumeId = randomUUID();
    const poolId = POOLS[i % POOLS.length] as string;
    const backendName = `vol-${volumeId}`;
    out.push({ topic, key: volumeId, value: JSON.stringify(envelope('VolumeCreationRequested', volumeId, 1, { volumeId, name: `p-${i}`, poolId, sizeBytes: 2 ** 30, volumeType: 'DATA', backendName })) });
    out.push({ topic, key: volumeId, value: JSON.stringify(envelope('VolumeCreated', volumeId, 2, { volumeId, poolId, backendName, sizeBytes: 2 ** 30, path: `/pool/${backendName}.raw` })) });
  }
  return out;
}

async function count(db: Client, where: string): Promise<number> {
  const r = await db.query<{ n: string }>(`SELECT count(*)::bigint AS n FROM "${SCHEMA}".volumes WHERE ${where}`);
  return Number(r.rows[0]?.n ?? 0);
}

/** Events/s the orchestrator projects from a topic filled while it was idle (published as fast as the producer goes). */
async function projection(system: System, db: Client, volumes: number, log: (m: string) => void) {
  const bus = new KafkaMessageBus({ brokers: system.infra.kafkaBrokers, clientId: 'bench-read-side' });
  const topic = topicNames(system.infra.topicPrefix).storageEvents;
  const messages = volumeEvents(volumes, topic);
  const started = process.hrtime.bigint();
  try {
    for (let i = 0; i < messages.length; i += 1000) await bus.publish(messages.slice(i, i + 1000));
  } finally {
    await bus.close();
  }
  const publishMs = msSince(started);
  await eventually('the projection to catch up', async () => ((await count(db, `status = 'ready'`)) >= volumes ? true : undefined), 15 * 60_000);
  const totalMs = msSince(started);
  log(`projection: ${messages.length} events published in ${round(publishMs, 0)} ms, projected in ${round(totalMs, 0)} ms`);
  return { events: messages.length, publishMs, totalMs, eventsPerSec: round(messages.length / (totalMs / 1000), 0), publishPerSec: round(messages.length / (publishMs / 1000), 0) };
}

/** POST /read-models/rebuild (admin) and the time until GET /read-models says live again with a newer generation. */
async function rebuild(api: string, key: string, events: number, log: (m: string) => void) {
  const headers = { authorization: `Bearer ${key}` };
  const before = await fetch(`${api}/read-models`, { headers });
  if (before.status === 404) return { measured: false as const, why: 'the built orchestrator has no /read-models endpoint (GET /read-models answered 404): rebuild not measured' };
  if (!before.ok) return { measured: false as const, why: `GET /read-models answered ${before.status}` };
  const generation = ((await before.json()) as { generation: number }).generation;
  const started = process.hrtime.bigint();
  const res = await fetch(`${api}/read-models/rebuild`, { method: 'POST', headers });
  if (res.status !== 202 && res.status !== 200 && res.status !== 201) return { measured: false as const, why: `POST /read-models/rebuild answered ${res.status}: ${await res.text()}` };
  const done = await eventually(
    'the rebuild to finish',
    async () => {
      const r = await fetch(`${api}/read-models`, { headers });
      const v = (await r.json()) as { state: string; generation: number; eventsReplayed: number; finishedAt: string | null };
      return v.state === 'live' && v.generation > generation && v.finishedAt ? v : undefined;
    },
    15 * 60_000,
  );
  const ms = msSince(started);
  log(`rebuild: ${done.eventsReplayed} events replayed in ${round(ms, 0)} ms`);
  return { measured: true as const, ms, eventsReplayed: done.eventsReplayed, eventsPerSec: round((done.eventsReplayed || events) / (ms / 1000), 0) };
}

/** Tops the read model's volume table up to `n` rows of synthetic volumes (one multi-row INSERT ... SELECT). */
async function fillTo(db: Client, n: number): Promise<void> {
  const have = await count(db, 'true');
  if (have >= n) return;
  await db.query(
    `INSERT INTO "${SCHEMA}".volumes (id, name, pool_id, tenant, volume_type, size_bytes, status, backend_name, path, allocated, version, created_at, updated_at)
     SELECT gen_random_uuid(), 'syn-' || g, ($2::uuid[])[1 + g % 10], CASE WHEN g % 4 = 0 THEN 'globex' ELSE 'acme' END, 'DATA', 1073741824,
            CASE WHEN g % 20 = 0 THEN 'deleted' ELSE 'ready' END, 'vol-syn-' || g, '/pool/vol-syn-' || g || '.raw', true, 2, now(), now()
     FROM generate_series($1::int + 1, $3::int) g`,
    [have, POOLS, n],
  );
  await db.query(`ANALYZE "${SCHEMA}".volumes`);
}

/** The list query GET /volumes runs (ListVolumesQuery), straight on pg: the floor under the HTTP path. */
function rawList(db: Client, after: number, poolId: string | undefined): Promise<unknown> {
  return db.query(
    `SELECT * FROM "${SCHEMA}".volumes v WHERE v.seq > $1 AND v.status <> 'deleted' ${poolId ? 'AND v.pool_id = $2' : ''} ORDER BY v.seq ASC LIMIT 51`,
    poolId ? [after, poolId] : [after],
  );
}

async function latencies(times: number, work: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < Math.min(10, times); i++) await work(); // warm: connections, plans
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = process.hrtime.bigint();
    await work();
    out.push(msSince(t));
  }
  return out;
}

export const readSide: Bench = {
  name: 'read-side',
  summary: 'orchestrator projection rate, rebuild-from-scratch rate, GET /volumes p50/p99 at 10^4..10^6 volumes vs the same SQL on pg',
  async run(ctx) {
    const key = `bench-admin-${randomBytes(24).toString('base64url')}`;
    const system = await startSystem({ label: 'rs', only: ['orchestrator'], portBase: 19180, env: { STRATA_BOOTSTRAP_ADMIN_KEY: key } });
    const api = system.services[0]!.url;
    const db = new Client({ connectionString: system.infra.databaseUrl });
    const rows: ResultRow[] = [];
    const skipped: string[] = [];
    const details: Record<string, unknown> = {};
    try {
      await db.connect();
      const p = await projection(system, db, ctx.quick ? 2_000 : 5_000, ctx.log);
      details.projection = p;
      rows.push({ metric: `projection (${p.events} events)`, value: p.eventsPerSec, unit: 'events/s', baseline: p.publishPerSec, baselineLabel: 'producer publish rate', ratio: ratio(p.eventsPerSec, p.publishPerSec) });
      const r = await rebuild(api, key, p.events, ctx.log);
      details.rebuild = r;
      if (r.measured) rows.push({ metric: `rebuild from scratch (${r.eventsReplayed} events)`, value: r.eventsPerSec, unit: 'events/s', baseline: p.eventsPerSec, baselineLabel: 'live projection', ratio: ratio(r.eventsPerSec, p.eventsPerSec) });
      else skipped.push(r.why);

      // The synthetic rows replace the projected ones: the sizes below are exact.
      await db.query(`DELETE FROM "${SCHEMA}".volumes`);
      const sizes = ctx.quick ? [10_000] : [10_000, 100_000, 1_000_000];
      if (ctx.quick) skipped.push('GET /volumes at 10^5 and 10^6 volumes (--quick runs 10^4 only)');
      const requests = ctx.quick ? 50 : 200;
      const headers = { authorization: `Bearer ${key}` };
      details.list = {};
      for (const n of sizes) {
        const fillStart = process.hrtime.bigint();
        await fillTo(db, n);
        ctx.log(`filled ${n} synthetic volumes in ${round(msSince(fillStart), 0)} ms`);
        const { rows: seqRows } = await db.query<{ seq: string }>(`SELECT seq FROM "${SCHEMA}".volumes ORDER BY seq OFFSET $1 LIMIT 1`, [Math.floor(n * 0.9)]);
        const deep = Number(seqRows[0]?.seq ?? 0);
        const cursor = Buffer.from(JSON.stringify({ after: deep }), 'utf8').toString('base64url');
        const pool = POOLS[3] as string;
        const cases = [
          { label: 'first page', query: '', after: 0, poolId: undefined },
          { label: 'deep cursor (90 %)', query: `cursor=${cursor}`, after: deep, poolId: undefined },
          { label: 'first page, poolId filter', query: `poolId=${pool}`, after: 0, poolId: pool },
          { label: 'deep cursor, poolId filter', query: `poolId=${pool}&cursor=${cursor}`, after: deep, poolId: pool },
        ];
        for (const c of cases) {
          const http = summarize(
            await latencies(requests, async () => {
              const res = await fetch(`${api}/volumes?${c.query}`, { headers });
              const body = (await res.json()) as { items?: unknown[] };
              if (res.status !== 200 || !Array.isArray(body.items) || body.items.length === 0) throw new Error(`GET /volumes?${c.query} answered ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
            }),
          );
          const sql = summarize(await latencies(requests, async () => void (await rawList(db, c.after, c.poolId))));
          const exp = `10^${Math.round(Math.log10(n))}`;
          rows.push({ metric: `GET /volumes ${exp}, ${c.label} p50`, value: http.p50Ms, unit: 'ms', baseline: sql.p50Ms, baselineLabel: 'same SQL on pg', ratio: ratio(http.p50Ms, sql.p50Ms) });
          rows.push({ metric: `GET /volumes ${exp}, ${c.label} p99`, value: http.p99Ms, unit: 'ms', baseline: sql.p99Ms, baselineLabel: 'same SQL on pg', ratio: ratio(http.p99Ms, sql.p99Ms) });
          (details.list as Record<string, unknown>)[`${n} ${c.label}`] = { http, sql };
        }
      }
    } finally {
      await db.end().catch(() => undefined);
      await system.stop();
    }
    return { status: 'ok', rows, skipped, details: { ...details, note: 'GET /volumes rows are synthetic: inserted with INSERT ... SELECT generate_series, 10 pools, 5 % deleted' } };
  },
};
