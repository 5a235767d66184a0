import { randomUUID } from 'node:crypto';
import { Logger, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import { createTestInfra, useInfraEnv, type TestInfra } from '@strata/testing';
import { MetricsRegistry } from './metrics';
import { PlatformModule } from './platform.module';

/** GET /metrics of a service booted with PlatformModule, on the real PostgreSQL and Kafka. */
const SCHEMA = 'metricstest';

@Module({ imports: [PlatformModule.forService({ serviceName: 'metrics-test', defaultPort: 0, schema: SCHEMA })] })
class MetricsTestModule {}

async function bootApp(): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [MetricsTestModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

function gauge(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  if (!line) throw new Error(`${name} missing from:\n${text}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics on a service', () => {
  let infra: TestInfra;
  let app: INestApplication;
  let second: INestApplication | undefined;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    infra = await createTestInfra('metrics');
    useInfraEnv(infra);
    app = await bootApp();
  });
  afterAll(async () => {
    await second?.close();
    await app?.close();
    await infra?.dispose();
    Logger.overrideLogger(['log', 'error', 'warn']);
  });

  it('answers in the Prometheus text format with default metrics labelled by service and the outbox gauges', async () => {
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toMatch(/^process_cpu_user_seconds_total\{service="metrics-test"\} /m);
    expect(res.text).toMatch(/^nodejs_heap_size_used_bytes\{service="metrics-test"\} /m);
    expect(res.text).toContain('# TYPE strata_commands_total counter');
    expect(res.text).toContain('# TYPE strata_command_duration_seconds histogram');
    expect(res.text).toContain('# TYPE strata_backend_call_duration_seconds histogram');
    expect(res.text).toContain('# TYPE strata_backend_errors_total counter');
    expect(gauge(res.text, 'strata_outbox_unpublished')).toBe(0);
    expect(gauge(res.text, 'strata_outbox_oldest_unpublished_seconds')).toBe(0);
    // Consumer lag is wired to the bus: no group runs in this app, so no series, and no error.
    expect(res.text).toContain('# TYPE strata_consumer_lag_messages gauge');
    expect(res.text).not.toMatch(/^strata_consumer_lag_messages\{/m);
    expect(gauge(res.text, 'strata_consumer_lag_errors_total')).toBe(0);
  });

  it('reports the unpublished outbox rows and the age of the oldest while the relay is stopped', async () => {
    await app.get(OutboxRelay).stop();
    const store = app.get(PgEventStore);
    const id = randomUUID();
    await store.append(
      `thing-${id}`,
      0,
      [1, 2].map((n) => ({
        messageId: randomUUID(),
        type: `Happened${n}`,
        schemaVersion: 1,
        aggregateId: id,
        occurredAt: new Date().toISOString(),
        correlationId: 'corr',
        causationId: null,
        tenant: null,
        data: {},
      })),
      { outboxTopic: `${infra.topicPrefix}metrics-outbox` },
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(gauge(res.text, 'strata_outbox_unpublished')).toBe(2);
    expect(gauge(res.text, 'strata_outbox_oldest_unpublished_seconds')).toBeGreaterThanOrEqual(1);
  });

  it('gives every app its own registry: two apps in one process do not collide', async () => {
    second = await bootApp();
    expect(second.get(MetricsRegistry)).not.toBe(app.get(MetricsRegistry));
    app.get(MetricsRegistry).recordCommand('OnlyInFirst', 'handled', 0.01);
    const first = await request(app.getHttpServer()).get('/metrics').expect(200);
    const other = await request(second.getHttpServer()).get('/metrics').expect(200);
    expect(first.text).toContain('type="OnlyInFirst"');
    expect(other.text).not.toContain('OnlyInFirst');
  });
});
