import { Injectable, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DomainError, ErrorCategory } from '@strata/kernel';
import type { Envelope } from '@strata/contracts';
import { DuplicateMessageError, type OutboxRelay, type PgEventStore } from '@strata/event-store';
import type { IncomingMessage, MessageBus } from '@strata/messaging';
import type { Clock, IdGenerator } from './clock';
import { CommandIntake, ServiceCommandIntake, type IntakeDeps } from './command-intake';
import { MetricsRegistry } from './metrics';

async function value(metrics: MetricsRegistry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return found?.value;
}

/** A histogram's observation count for the given labels. */
async function observations(metrics: MetricsRegistry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const { values } = await metrics.registry.getSingleMetric(name)!.get();
  return values.find((v) => (v as { metricName?: string }).metricName === `${name}_count` && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

function message(body: unknown): IncomingMessage {
  return {
    topic: 't',
    partition: 0,
    offset: '1',
    key: null,
    value: body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    headers: {},
  };
}

function deps(metrics: MetricsRegistry, handled = new Set<string>()): IntakeDeps {
  return {
    bus: { publish: jest.fn(async () => undefined) } as unknown as MessageBus,
    store: {
      isHandled: jest.fn(async (_c: string, id: string) => handled.has(id)),
      append: jest.fn(async () => ({ events: [] })),
    } as unknown as PgEventStore,
    relay: { kick: jest.fn() } as unknown as OutboxRelay,
    clock: { now: () => new Date('2026-01-01T00:00:00Z') } as Clock,
    ids: { newId: () => 'id-1' } as IdGenerator,
    metrics,
  };
}

describe('MetricsRegistry', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('has a registry of its own per instance, with default process metrics labelled by service', async () => {
    const a = new MetricsRegistry('svc-a');
    const b = new MetricsRegistry('svc-b');
    expect(a.registry).not.toBe(b.registry);
    a.recordCommand('X', 'handled', 0.1);
    expect(await value(b, 'strata_commands_total', { type: 'X' })).toBeUndefined();
    const text = await a.metrics();
    expect(text).toMatch(/process_cpu_user_seconds_total\{service="svc-a"\}/);
    expect(text).toMatch(/strata_commands_total\{type="X",outcome="handled",service="svc-a"\} 1/);
    expect(a.contentType).toMatch(/^text\/plain/);
  });

  it('counts backend calls by plugin and outcome, and errors by kind', async () => {
    const m = new MetricsRegistry('svc', { defaultMetrics: false });
    m.recordBackendCall('linstor', 0.02);
    m.recordBackendCall('linstor', 0.5, 'transient');
    const text = await m.metrics();
    expect(text).toMatch(/^strata_backend_call_duration_seconds_count\{.*outcome="ok".*\} 1$/m);
    expect(await observations(m, 'strata_backend_call_duration_seconds', { plugin: 'linstor', outcome: 'ok' })).toBe(1);
    expect(await observations(m, 'strata_backend_call_duration_seconds', { plugin: 'linstor', outcome: 'error' })).toBe(1);
    expect(await value(m, 'strata_backend_errors_total', { plugin: 'linstor', kind: 'transient' })).toBe(1);
  });

  it('reads the outbox gauges from one query per scrape, and NaN when the database does not answer', async () => {
    const m = new MetricsRegistry('svc', { defaultMetrics: false });
    const query = jest.fn(async (sql: string) => {
      expect(sql).toContain('"orders".outbox');
      return [{ n: 7, age: '12.5' }];
    });
    m.trackOutbox({ query } as never, 'orders');
    const text = await m.metrics();
    expect(text).toMatch(/strata_outbox_unpublished\{service="svc"\} 7/);
    expect(text).toMatch(/strata_outbox_oldest_unpublished_seconds\{service="svc"\} 12.5/);
    expect(query).toHaveBeenCalledTimes(1);
    query.mockRejectedValueOnce(new Error('down'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await m.metrics()).toMatch(/strata_outbox_unpublished\{service="svc"\} Nan/i);
    expect(() => m.trackOutbox({ query } as never, 'x";drop')).not.toThrow(); // already tracked: ignored
    expect(() => new MetricsRegistry('s', { defaultMetrics: false }).trackOutbox({ query } as never, 'x";drop')).toThrow();
  });
});

describe('CommandIntake metrics', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  type Cmd = Envelope<'DoIt', { fail?: string }>;
  const validate = (e: Envelope<string, unknown>) =>
    e.type === 'DoIt' ? { ok: true as const, command: e as Cmd } : { ok: false as const, violations: [{ field: 'type', rule: 'isIn', message: 'unknown' }] };
  const handle = async (c: Cmd) => {
    if (c.data.fail === 'domain') throw new DomainError('x.refused', ErrorCategory.Conflict, 'no');
    if (c.data.fail === 'dup') throw new DuplicateMessageError('g', 'm4');
    if (c.data.fail === 'crash') throw new Error('boom');
  };
  const options = { consumerGroup: 'g', commandTopic: 'c', eventsTopic: 'e', deadLetterTopic: 'd', validate, handle };

  it('counts each outcome by command type and times the handled ones', async () => {
    const m = new MetricsRegistry('svc', { defaultMetrics: false });
    const intake = new CommandIntake<Cmd>(deps(m, new Set(['seen'])), options);
    await intake.receive(message({ messageId: 'm1', type: 'DoIt', data: {} }));
    await intake.receive(message({ messageId: 'm2', type: 'DoIt', data: { fail: 'domain' } }));
    await intake.receive(message({ messageId: 'm3', type: 'Whatever-attacker-chose', data: {} }));
    await intake.receive(message({ messageId: 'm4', type: 'DoIt', data: { fail: 'dup' } }));
    await intake.receive(message({ messageId: 'seen', type: 'DoIt', data: {} }));
    await intake.receive(message('not json'));
    await expect(intake.receive(message({ messageId: 'm5', type: 'DoIt', data: { fail: 'crash' } }))).rejects.toThrow('boom');

    const count = (type: string, outcome: string) => value(m, 'strata_commands_total', { type, outcome });
    expect(await count('DoIt', 'handled')).toBe(1);
    expect(await count('DoIt', 'rejected')).toBe(1);
    expect(await count('invalid', 'rejected')).toBe(1);
    expect(await count('DoIt', 'duplicate')).toBe(2);
    expect(await count('unknown', 'dead_lettered')).toBe(1);
    expect(await count('DoIt', 'failed')).toBe(1);
    const text = await m.metrics();
    expect(text).not.toContain('attacker');
    expect(await observations(m, 'strata_command_duration_seconds', { type: 'DoIt' })).toBe(5);
    expect(await observations(m, 'strata_command_duration_seconds', { type: 'unknown' })).toBeUndefined();
  });

  it('records nothing and still works without metrics', async () => {
    const { metrics: _none, ...bare } = deps(new MetricsRegistry('svc', { defaultMetrics: false }));
    const intake = new CommandIntake<Cmd>(bare, options);
    await expect(intake.receive(message({ messageId: 'm1', type: 'DoIt', data: {} }))).resolves.toBeUndefined();
  });

  it('ServiceCommandIntake gets the registry from Nest without its subclass passing it', async () => {
    const m = new MetricsRegistry('svc', { defaultMetrics: false });
    const base = deps(m);
    const { metrics: _none, ...withoutMetrics } = base;
    const subscribe = jest.fn(async (s: { handle: (msg: IncomingMessage) => Promise<void> }) => {
      await s.handle(message({ messageId: 'n1', type: 'DoIt', data: {} }));
      return { stop: async () => undefined };
    });
    const bus = { ...base.bus, subscribe } as unknown as MessageBus;

    @Injectable()
    class TestIntake extends ServiceCommandIntake<Cmd> {
      constructor() {
        super({ ...withoutMetrics, bus }, { consumerGroup: 'g', commandTopic: 'c', eventsTopic: 'e', deadLetterTopic: 'd', validate });
      }
      protected dispatch(c: Cmd) {
        return handle(c);
      }
    }
    @Module({ providers: [TestIntake, { provide: MetricsRegistry, useValue: m }] })
    class TestModule {}

    const app = await Test.createTestingModule({ imports: [TestModule] }).compile();
    await app.init();
    await app.close();
    expect(subscribe).toHaveBeenCalled();
    expect(await value(m, 'strata_commands_total', { type: 'DoIt', outcome: 'handled' })).toBe(1);

    // Without a MetricsRegistry provider the intake still starts.
    @Module({ providers: [TestIntake] })
    class BareModule {}
    const bare = await Test.createTestingModule({ imports: [BareModule] }).compile();
    await bare.init();
    await bare.close();
  });
});
