import type { ConsumerConfig } from 'kafkajs';
import { KafkaMessageBus } from './kafka-bus';

/** A kafkajs consumer as far as the bus uses it; `crash` plays kafkajs's crash event. */
class FakeConsumer {
  static made: FakeConsumer[] = [];
  static failConnects = 0;
  readonly events = { CRASH: 'consumer.crash' };
  private readonly listeners = new Map<string, ((e: unknown) => void)[]>();
  connected = false;
  running = false;
  disconnects = 0;

  constructor(readonly config: ConsumerConfig) {
    FakeConsumer.made.push(this);
  }
  on(event: string, listener: (e: unknown) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return () => undefined;
  }
  async connect() {
    if (FakeConsumer.failConnects > 0) {
      FakeConsumer.failConnects--;
      throw new Error('Connection error: connect ECONNREFUSED');
    }
    this.connected = true;
  }
  async subscribe() {}
  async run() {
    this.running = true;
  }
  async disconnect() {
    this.disconnects++;
    this.connected = false;
    this.running = false;
  }
  crash(restart: boolean) {
    // kafkajs has stopped its runner (and, without a restart, will not start it again).
    this.running = false;
    for (const l of this.listeners.get(this.events.CRASH) ?? []) l({ payload: { error: new Error('The coordinator is not aware of this member'), groupId: this.config.groupId, restart } });
  }
}

/** A kafkajs producer: `failNext` sends are refused as the broker refuses a stale sequence. */
class FakeProducer {
  static made: FakeProducer[] = [];
  static failNext = 0;
  sent = 0;
  disconnected = false;
  private release?: () => void;
  holdNext = false;

  constructor() {
    FakeProducer.made.push(this);
  }
  async connect() {}
  async sendBatch() {
    if (this.disconnected) throw new Error('The producer is disconnected');
    if (this.holdNext) {
      this.holdNext = false;
      await new Promise<void>((r) => (this.release = r));
    }
    if (FakeProducer.failNext > 0) {
      FakeProducer.failNext--;
      throw new Error('The broker received an out of order sequence number');
    }
    this.sent++;
  }
  finishHeld() {
    this.release?.();
  }
  async disconnect() {
    this.disconnected = true;
  }
}

jest.mock('kafkajs', () => ({
  Kafka: class {
    consumer(config: ConsumerConfig) {
      return new FakeConsumer(config);
    }
    producer() {
      return new FakeProducer();
    }
  },
  logLevel: { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 },
  Partitioners: { DefaultPartitioner: () => () => 0 },
}));

const until = async (what: string, ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('KafkaMessageBus consumers', () => {
  beforeEach(() => {
    FakeConsumer.made = [];
    FakeConsumer.failConnects = 0;
  });

  const subscribe = (bus: KafkaMessageBus) => bus.subscribe({ groupId: 'g', topics: ['t'], handle: async () => undefined });

  it('keeps the 30 s session by default and takes a shorter one, heartbeating a third of it (at most 3 s)', async () => {
    await subscribe(new KafkaMessageBus({ brokers: ['b:1'], clientId: 'c' }));
    await subscribe(new KafkaMessageBus({ brokers: ['b:1'], clientId: 'c', sessionTimeoutMs: 6000 }));
    expect(FakeConsumer.made.map((c) => [c.config.sessionTimeout, c.config.heartbeatInterval])).toEqual([
      [30000, 3000],
      [6000, 2000],
    ]);
  });

  it('refuses a session shorter than the broker accepts', () => {
    expect(() => new KafkaMessageBus({ brokers: ['b:1'], clientId: 'c', sessionTimeoutMs: 5999 })).toThrow(/sessionTimeoutMs/);
  });

  it('puts a new consumer in the same group in place of one kafkajs gave up on, and stops that one on stop', async () => {
    const logs: string[] = [];
    const bus = new KafkaMessageBus({ brokers: ['b:1'], clientId: 'c', groupIdPrefix: 'p.', log: (_l, m) => logs.push(m) });
    const sub = await subscribe(bus);
    const first = FakeConsumer.made[0]!;
    FakeConsumer.failConnects = 1; // the broker is still away at the first attempt
    first.crash(false);
    await until('a running replacement', () => FakeConsumer.made.some((c) => c !== first && c.running));
    const second = FakeConsumer.made.at(-1)!;
    expect(second.config.groupId).toBe('p.g');
    expect(first.disconnects).toBe(1);
    expect(logs.join('\n')).toMatch(/consumer of p.g stopped for good/);
    await sub.stop();
    expect(second.running).toBe(false);
    expect(second.disconnects).toBeGreaterThan(0);
  });

  it('leaves a consumer kafkajs restarts itself alone', async () => {
    await subscribe(new KafkaMessageBus({ brokers: ['b:1'], clientId: 'c' }));
    FakeConsumer.made[0]!.crash(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(FakeConsumer.made).toHaveLength(1);
  });

  it('starts no replacement once the subscription is stopped', async () => {
    const sub = await subscribe(new KafkaMessageBus({ brokers: ['b:1'], clientId: 'c' }));
    await sub.stop();
    FakeConsumer.made[0]!.crash(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(FakeConsumer.made).toHaveLength(1);
  });
});

describe('KafkaMessageBus publishing', () => {
  beforeEach(() => {
    FakeProducer.made = [];
    FakeProducer.failNext = 0;
  });
  const message = { topic: 't', key: 'k', value: 'v' };

  it('sends the next batch with a new producer after a failed send, so a producer the broker no longer agrees with is not kept', async () => {
    const bus = new KafkaMessageBus({ brokers: ['b:1'], clientId: 'c' });
    await bus.publish([message]);
    FakeProducer.failNext = 1;
    await expect(bus.publish([message])).rejects.toThrow(/out of order sequence/);
    await bus.publish([message]);
    await bus.publish([message]);
    expect(FakeProducer.made.map((p) => [p.sent, p.disconnected])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('lets sends still under way on the replaced producer finish before it is disconnected', async () => {
    const bus = new KafkaMessageBus({ brokers: ['b:1'], clientId: 'c' });
    await bus.publish([message]);
    const first = FakeProducer.made[0]!;
    first.holdNext = true;
    const held = bus.publish([message]);
    await new Promise((r) => setTimeout(r, 10));
    FakeProducer.failNext = 1;
    await expect(bus.publish([message])).rejects.toThrow(/out of order sequence/);
    expect(first.disconnected).toBe(false);
    first.finishHeld();
    await held;
    expect(first.sent).toBe(2);
    expect(first.disconnected).toBe(true);
  });
});
