import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createTestInfra, type TestInfra } from '@strata/testing';
import { createServiceDataSource, initializeServiceDataSource } from './data-source';
import { ConcurrencyError, DuplicateMessageError } from './errors';
import { PgEventStore, type PendingEvent } from './event-store';

const SCHEMA = 'estest';

function event(aggregateId: string, type = 'ThingHappened', data: Record<string, unknown> = {}): PendingEvent {
  return {
    messageId: randomUUID(),
    type,
    schemaVersion: 1,
    aggregateId,
    occurredAt: new Date().toISOString(),
    correlationId: 'corr',
    causationId: null,
    tenant: null,
    data,
  };
}

describe('PgEventStore on a real PostgreSQL', () => {
  let infra: TestInfra;
  let ds: DataSource;
  let store: PgEventStore;

  beforeAll(async () => {
    infra = await createTestInfra('eventstore');
    ds = await initializeServiceDataSource(createServiceDataSource({ url: infra.databaseUrl, schema: SCHEMA }));
    store = new PgEventStore(ds, SCHEMA);
  });
  afterAll(async () => {
    await ds?.destroy();
    await infra?.dispose();
  });

  it('appends and reads a stream in order, with a global position', async () => {
    const id = randomUUID();
    await store.append(`thing-${id}`, 0, [event(id, 'A'), event(id, 'B')]);
    await store.append(`thing-${id}`, 2, [event(id, 'C')]);
    const read = await store.readStream(`thing-${id}`);
    expect(read.map((e) => [e.streamVersion, e.envelope.type])).toEqual([
      [1, 'A'],
      [2, 'B'],
      [3, 'C'],
    ]);
    expect(BigInt(read[2].globalPosition)).toBeGreaterThan(BigInt(read[0].globalPosition));
  });

  it('lets exactly one of two racing appends at the same expected version win', async () => {
    const id = randomUUID();
    await store.append(`thing-${id}`, 0, [event(id, 'Created')]);
    const results = await Promise.allSettled(
      Array.from({ length: 2 }, (_, i) => store.append(`thing-${id}`, 1, [event(id, `Racer${i}`)])),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(ConcurrencyError);
    expect((lost[0].reason as ConcurrencyError).code).toBe('event_store.concurrency');
    expect(await store.readStream(`thing-${id}`)).toHaveLength(2);
  });

  it('refuses a stale expected version with a typed error', async () => {
    const id = randomUUID();
    await store.append(`thing-${id}`, 0, [event(id)]);
    await expect(store.append(`thing-${id}`, 0, [event(id)])).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it('marks the inbox in the append transaction, so a repeated command appends nothing', async () => {
    const id = randomUUID();
    const inbox = { consumer: 'test', messageId: randomUUID() };
    await store.append(`thing-${id}`, 0, [event(id)], { inbox });
    await expect(store.append(`thing-${id}`, 1, [event(id)], { inbox })).rejects.toBeInstanceOf(DuplicateMessageError);
    expect(await store.readStream(`thing-${id}`)).toHaveLength(1);
    expect(await store.isHandled('test', inbox.messageId)).toBe(true);
  });

  it('keeps events append-only, even against direct SQL', async () => {
    const id = randomUUID();
    await store.append(`thing-${id}`, 0, [event(id)]);
    await expect(ds.query(`UPDATE "${SCHEMA}".events SET type = 'X' WHERE stream_id = $1`, [`thing-${id}`])).rejects.toThrow(
      /append-only/,
    );
    await expect(ds.query(`DELETE FROM "${SCHEMA}".events WHERE stream_id = $1`, [`thing-${id}`])).rejects.toThrow(/append-only/);
  });

  it('finds streams left in a transitional state', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await store.append(`widget-${a}`, 0, [event(a, 'WidgetRequested')]);
    await store.append(`widget-${b}`, 0, [event(b, 'WidgetRequested'), event(b, 'WidgetMade')]);
    const pending = await store.streamsEndingWith('widget-', ['WidgetRequested']);
    expect(pending.map((p) => p.envelope.aggregateId)).toEqual([a]);
  });
});
