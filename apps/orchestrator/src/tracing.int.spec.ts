import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { KafkaMessageBus, traceIdOf, type IncomingMessage, type Subscription } from '@strata/messaging';
import { createTestInfra, eventually, useInfraEnv, type TestInfra } from '@strata/testing';
import { AppModule } from './app.module';

/**
 * The trace of a REST call goes on with the command it publishes: the orchestrator honours
 * the caller's traceparent, and the command message the outbox relay puts on Kafka carries
 * a traceparent of the same trace (a new trace when the caller sent none).
 */
describe('trace context from the REST API to the command on Kafka', () => {
  let infra: TestInfra;
  let app: INestApplication;
  let bus: KafkaMessageBus;
  let topics: Topics;
  let observer: Subscription;
  const commands: IncomingMessage[] = [];
  const adminKey = `stk_${randomBytes(32).toString('base64url')}`;
  const previousKey = process.env.STRATA_BOOTSTRAP_ADMIN_KEY;

  const commandFor = (jobId: string) =>
    eventually(`command ${jobId} on the storage command topic`, async () =>
      commands.find((m) => (JSON.parse(m.value!.toString('utf8')) as Envelope).messageId === jobId),
    );

  beforeAll(async () => {
    infra = await createTestInfra('orchtracing');
    useInfraEnv(infra);
    process.env.STRATA_BOOTSTRAP_ADMIN_KEY = adminKey;
    topics = topicNames(infra.topicPrefix);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'orchestrator-tracing-int' });
    observer = await bus.subscribe({
      groupId: `${infra.topicPrefix}observer`,
      topics: [topics.storageCommands],
      handle: async (m) => void commands.push(m),
    });
  });

  afterAll(async () => {
    await observer?.stop();
    await bus?.close();
    await app?.close();
    await infra?.dispose();
    if (previousKey === undefined) delete process.env.STRATA_BOOTSTRAP_ADMIN_KEY;
    else process.env.STRATA_BOOTSTRAP_ADMIN_KEY = previousKey;
  });

  const addPool = (name: string, headers: Record<string, string>) => {
    let req = request(app.getHttpServer()).post('/pools').set('Authorization', `Bearer ${adminKey}`);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req.send({ name, plugin: 'file', zoneId: 'zone-1', config: { path: `/srv/${name}` } }).expect(202);
  };

  it('publishes the command with a traceparent of the caller’s trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentSpan = randomBytes(8).toString('hex');
    const res = await addPool('traced', { traceparent: `00-${traceId}-${parentSpan}-01`, tracestate: 'caller=1', 'X-Correlation-Id': 'corr-trace' });
    const message = await commandFor(res.body.jobId);
    expect(traceIdOf(message.headers.traceparent)).toBe(traceId);
    // The orchestrator's request span is the parent now, not the caller's span.
    expect(message.headers.traceparent).not.toContain(parentSpan);
    expect(message.headers.tracestate).toBe('caller=1');
    expect(JSON.parse(message.value!.toString('utf8'))).toMatchObject({ type: 'AddStoragePool', correlationId: 'corr-trace' });
  });

  it('starts a trace of its own for a call without traceparent, one per request', async () => {
    const first = await commandFor((await addPool('untraced-1', {})).body.jobId);
    const second = await commandFor((await addPool('untraced-2', {})).body.jobId);
    const a = traceIdOf(first.headers.traceparent);
    const b = traceIdOf(second.headers.traceparent);
    expect(a).toMatch(/^[\da-f]{32}$/);
    expect(b).toMatch(/^[\da-f]{32}$/);
    expect(a).not.toBe(b);
  });
});
