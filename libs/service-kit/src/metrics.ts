import { Controller, Get, Header } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { assertSchemaName } from '@strata/event-store';
import type { ConsumerLag, ConsumerLagSource } from '@strata/messaging';

/** How a command that reached the intake ended. */
export type CommandOutcome = 'handled' | 'rejected' | 'dead_lettered' | 'duplicate' | 'failed';

/** Seconds buckets for command handling and backend calls: 5 ms to 2 min. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * The Prometheus metrics of one service (one Nest app): a registry of its own, never
 * prom-client's global one, so several apps in one process (tests) do not collide.
 * Every series carries a `service` label. Names are documented in docs/infrastructure.md.
 */
export class MetricsRegistry {
  readonly registry = new Registry();
  readonly commands: Counter<'type' | 'outcome'>;
  readonly commandDuration: Histogram<'type'>;
  readonly backendCallDuration: Histogram<'plugin' | 'outcome'>;
  readonly backendErrors: Counter<'plugin' | 'kind'>;
  private outboxTracked = false;
  private lagTracked = false;

  constructor(
    readonly serviceName: string,
    options: { readonly defaultMetrics?: boolean } = {},
  ) {
    this.registry.setDefaultLabels({ service: serviceName });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.commands = new Counter({
      name: 'strata_commands_total',
      help: 'Commands taken from Kafka by the command intake, by command type and outcome',
      labelNames: ['type', 'outcome'],
      registers: [this.registry],
    });
    this.commandDuration = new Histogram({
      name: 'strata_command_duration_seconds',
      help: 'Time from receiving a command to its outcome (handled, rejected, duplicate, failed)',
      labelNames: ['type'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.backendCallDuration = new Histogram({
      name: 'strata_backend_call_duration_seconds',
      help: 'Duration of storage driver calls, by plugin and outcome (ok | error)',
      labelNames: ['plugin', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.backendErrors = new Counter({
      name: 'strata_backend_errors_total',
      help: 'Storage driver calls that failed, by plugin and error kind (BackendError kind, or "unexpected")',
      labelNames: ['plugin', 'kind'],
      registers: [this.registry],
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  recordCommand(type: string, outcome: CommandOutcome, seconds?: number): void {
    this.commands.inc({ type, outcome });
    if (seconds !== undefined) this.commandDuration.observe({ type }, seconds);
  }

  recordBackendCall(plugin: string, seconds: number, errorKind?: string): void {
    this.backendCallDuration.observe({ plugin, outcome: errorKind === undefined ? 'ok' : 'error' }, seconds);
    if (errorKind !== undefined) this.backendErrors.inc({ plugin, kind: errorKind });
  }

  /**
   * Outbox lag, read from the outbox table when scraped: rows not yet published and the
   * age of the oldest of them (0 when none). Both use the partial unpublished index.
   */
  trackOutbox(dataSource: Pick<DataSource, 'query'>, schema: string): void {
    if (this.outboxTracked) return;
    const s = assertSchemaName(schema);
    this.outboxTracked = true;
    // NaN when the database does not answer: the scrape still returns the other metrics.
    let pending: Promise<{ n: number; age: number }> | undefined;
    // Both gauges are collected in one scrape: one query serves them.
    const read = () => {
      pending ??= (async () => {
        try {
          const [row] = await dataSource.query(
            `SELECT count(*)::int AS n,
                    COALESCE(extract(epoch FROM now() - (SELECT created_at FROM "${s}".outbox
                       WHERE published_at IS NULL ORDER BY id LIMIT 1)), 0)::float8 AS age
               FROM "${s}".outbox WHERE published_at IS NULL`,
          );
          return { n: Number(row.n), age: Number(row.age) };
        } catch {
          return { n: Number.NaN, age: Number.NaN };
        } finally {
          setImmediate(() => (pending = undefined));
        }
      })();
      return pending;
    };
    new Gauge({
      name: 'strata_outbox_unpublished',
      help: 'Outbox rows not yet published to Kafka',
      registers: [this.registry],
      async collect() {
        this.set((await read()).n);
      },
    });
    new Gauge({
      name: 'strata_outbox_oldest_unpublished_seconds',
      help: 'Age in seconds of the oldest outbox row not yet published (0 when none)',
      registers: [this.registry],
      async collect() {
        this.set((await read()).age);
      },
    });
  }

  /**
   * Consumer lag per consumer group and topic the bus runs, read from Kafka when scraped
   * (end offsets minus committed offsets, summed over partitions) and cached `cacheMs`.
   * When Kafka does not answer the series are left out (never NaN) and
   * `strata_consumer_lag_errors_total` counts the failed reading.
   */
  trackConsumerLag(source: ConsumerLagSource, options: { readonly cacheMs?: number } = {}): void {
    if (this.lagTracked) return;
    this.lagTracked = true;
    const cacheMs = options.cacheMs ?? CONSUMER_LAG_CACHE_MS;
    const errors = new Counter({
      name: 'strata_consumer_lag_errors_total',
      help: 'Scrapes whose consumer lag could not be read from Kafka (the lag series were left out)',
      registers: [],
    });
    let cached: { at: number; reading: Promise<readonly ConsumerLag[] | undefined> } | undefined;
    const read = (): Promise<readonly ConsumerLag[] | undefined> => {
      if (cached && Date.now() - cached.at < cacheMs) return cached.reading;
      const reading = source.consumerLag().then(
        (lags) => lags.filter((l) => Number.isFinite(l.lag)),
        () => {
          errors.inc();
          cached = undefined; // a failure is not cached: the next scrape asks again
          return undefined;
        },
      );
      cached = { at: Date.now(), reading };
      return reading;
    };
    new Gauge({
      name: 'strata_consumer_lag_messages',
      help: 'Messages not yet consumed by a consumer group of this service on a topic (end offset minus committed offset, summed over partitions)',
      labelNames: ['group', 'topic'],
      registers: [this.registry],
      async collect() {
        const lags = await read();
        this.reset();
        for (const { group, topic, lag } of lags ?? []) this.set({ group, topic }, lag);
      },
    });
    // Registered after the gauge: a scrape serialises in registration order, so a reading
    // that fails is counted in the same scrape that leaves its series out.
    this.registry.registerMetric(errors);
  }
}

/** How long one reading of the consumer groups' lag serves scrapes: Kafka is asked at most this often. */
export const CONSUMER_LAG_CACHE_MS = 5000;

/** Prometheus scrape endpoint. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}
