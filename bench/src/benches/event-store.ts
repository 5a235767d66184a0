import { randomUUID } from 'node:crypto';
import type { Envelope } from '@strata/contracts';
import { createServiceDataSource, initializeServiceDataSource, PgEventStore, type PendingEvent } from '@strata/event-store';
import { createTestInfra } from '@strata/testing';
import { Client } from 'pg';
import type { Bench, ResultRow } from '../lib/context';
import { ratio, round } from '../lib/stats';

const TOPIC = 'strata.storage.events';

/** A VolumeCreated-sized event, as the storage service appends it. */
function event(volumeId: string): PendingEvent {
  const messageId = randomUUID();
  return {
    messageId,
    type: 'VolumeCreated',
    schemaVersion: 1,
    aggregateId: volumeId,
    occurredAt: new Date().toISOString(),
    correlationId: messageId,
    causationId: randomUUID(),
    tenant: 'acme',
    data: { volumeId, poolId: randomUUID(), backendName: `vol-${volumeId}`, sizeBytes: 2 ** 30, path: `/pool/vol-${volumeId}.raw` },
  } as PendingEvent;
}

/** The same rows as PgEventStore.append writes (event, outbox), with plain pg and multi-row INSERTs: the floor. */
async function rawAppend(c: Client, schema: string, streamId: string, events: PendingEvent[]): Promise<void> {
  await c.query('BEGIN');
  await c.query(`SELECT coalesce(max(stream_version), 0)::int AS v FROM "${schema}".events WHERE stream_id = $1`, [streamId]);
  const ev: unknown[] = [];
  const ob: unknown[] = [];
  const evRows: string[] = [];
  const obRows: string[] = [];
  events.forEach((e, i) => {
    const envelope = { ...e, kind: 'event', streamVersion: i + 1 } as Envelope;
    const { data, type, schemaVersion, messageId, streamVersion: _v, kind: _k, ...metadata } = envelope;
    const b = ev.length;
    evRows.push(`($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`);
    ev.push(streamId, i + 1, messageId, type, schemaVersion, JSON.stringify(data), JSON.stringify(metadata));
    const o = ob.length;
    obRows.push(`($${o + 1}, $${o + 2}, $${o + 3}, '{}'::jsonb)`);
    ob.push(TOPIC, e.aggregateId, JSON.stringify(envelope));
  });
  await c.query(`INSERT INTO "${schema}".events (stream_id, stream_version, message_id, type, schema_version, data, metadata) VALUES ${evRows.join(', ')}`, ev);
  await c.query(`INSERT INTO "${schema}".outbox (topic, message_key, payload, headers) VALUES ${obRows.join(', ')}`, ob);
  await c.query('COMMIT');
}

async function timed(work: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export const eventStore: Bench = {
  name: 'event-store',
  summary: 'PgEventStore.append (batches of 1 and 100, with outbox rows) vs raw multi-row INSERTs of the same rows',
  async run(ctx) {
    const infra = await createTestInfra('benches');
    const ds = createServiceDataSource({ url: infra.databaseUrl, schema: 'esbench', poolSize: 2 });
    const raw = new Client({ connectionString: infra.databaseUrl });
    const rows: ResultRow[] = [];
    const details: Record<string, unknown> = {};
    try {
      await initializeServiceDataSource(ds);
      const rawDs = createServiceDataSource({ url: infra.databaseUrl, schema: 'esraw', poolSize: 2 });
      await initializeServiceDataSource(rawDs);
      await rawDs.destroy();
      await raw.connect();
      const store = new PgEventStore(ds, 'esbench');
      for (const batch of [1, 100]) {
        const total = ctx.quick ? (batch === 1 ? 500 : 5_000) : batch === 1 ? 5_000 : 50_000;
        const appends = total / batch;
        const make = () => Array.from({ length: appends }, () => {
          const id = randomUUID();
          return { streamId: `volume-${id}`, events: Array.from({ length: batch }, () => event(id)) };
        });
        const storeWork = make();
        const rawWork = make();
        // One writer, one append after another: the rate one intake partition can reach.
        const storeSec = await timed(async () => {
          for (const w of storeWork) await store.append(w.streamId, 0, w.events, { outboxTopic: TOPIC });
        });
        const rawSec = await timed(async () => {
          for (const w of rawWork) await rawAppend(raw, 'esraw', w.streamId, w.events);
        });
        const storeRate = round(total / storeSec, 0);
        const rawRate = round(total / rawSec, 0);
        ctx.log(`append batch ${batch}: store ${storeRate} events/s, raw ${rawRate} events/s`);
        rows.push({ metric: `append, batch ${batch} (${total} events)`, value: storeRate, unit: 'events/s', baseline: rawRate, baselineLabel: 'raw multi-row INSERT', ratio: ratio(storeRate, rawRate) });
        rows.push({
          metric: `append, batch ${batch}, per append`,
          value: round((storeSec * 1000) / appends, 3),
          unit: 'ms',
          baseline: round((rawSec * 1000) / appends, 3),
          baselineLabel: 'raw multi-row INSERT',
          ratio: ratio(storeSec, rawSec),
        });
        details[`batch${batch}`] = { total, appends, storeSeconds: storeSec, rawSeconds: rawSec };
      }
    } finally {
      await raw.end().catch(() => undefined);
      if (ds.isInitialized) await ds.destroy();
      await infra.dispose();
    }
    return { status: 'ok', rows, skipped: [], details };
  },
};
