import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { createTestInfra, eventually, type TestInfra } from '@strata/testing';
import { MetricsRegistry } from './metrics';

/** strata_consumer_lag_messages read from the real Kafka through the bus's admin client. */
describe('consumer lag on real Kafka', () => {
  let infra: TestInfra;
  let bus: KafkaMessageBus;
  let producer: KafkaMessageBus;
  let subscription: Subscription | undefined;

  beforeAll(async () => {
    infra = await createTestInfra('consumerlag');
    bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'lag-int', groupIdPrefix: infra.topicPrefix });
    producer = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: 'lag-int-producer' });
  });
  afterAll(async () => {
    await subscription?.stop();
    await bus?.close();
    await producer?.close();
    await infra?.dispose();
  });

  function lagOf(text: string, group: string, topic: string): number | undefined {
    const line = text.split('\n').find((l) => l.startsWith(`strata_consumer_lag_messages{group="${group}",topic="${topic}"`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it('reads N for N messages the group has not consumed, and 0 once it has', async () => {
    const N = 7;
    const topic = `${infra.topicPrefix}lag`;
    const group = `${infra.topicPrefix}lag-group`;
    await bus.ensureTopics([{ topic, numPartitions: 3 }]);
    await producer.publish(Array.from({ length: N }, (_, i) => ({ topic, key: `k${i}`, value: `m${i}` })));

    const metrics = new MetricsRegistry('lag-test', { defaultMetrics: false });
    metrics.trackConsumerLag(bus, { cacheMs: 0 });
    expect(lagOf(await metrics.metrics(), group, topic)).toBeUndefined(); // no group runs yet

    // The group joins but holds every message until released: nothing is committed.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let consumed = 0;
    let started = 0;
    subscription = await bus.subscribe({
      groupId: 'lag-group',
      topics: [topic],
      partitionsConsumedConcurrently: 3,
      handle: async () => {
        started += 1;
        await gate;
        consumed += 1;
      },
    });
    await eventually('the group to hold a message', async () => (started > 0 ? true : undefined));
    expect(lagOf(await metrics.metrics(), group, topic)).toBe(N);

    release();
    await eventually('all messages consumed', async () => (consumed === N ? true : undefined));
    await eventually('the lag to reach 0 once the offsets are committed', async () =>
      lagOf(await metrics.metrics(), group, topic) === 0 ? true : undefined,
    );

    // More messages while the group keeps up end at 0 again: the lag follows the end offsets.
    await producer.publish([{ topic, key: 'late', value: 'late' }]);
    await eventually('the late message consumed and committed', async () =>
      consumed === N + 1 && lagOf(await metrics.metrics(), group, topic) === 0 ? true : undefined,
    );
  });
});
