import pRetry, { AbortError } from 'p-retry';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type EachMessagePayload, type Producer, type IHeaders, type LogEntry } from 'kafkajs';
import type { CommittedOffset, ConsumerLag, IncomingMessage, MessageBus, OutgoingMessage, PartitionOffsets, SubscribeOptions, Subscription, TopicSpec } from './ports';
import { consumeInSpan, withTraceHeaders } from './trace-context';

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** For topics the bus creates; 1 on a single broker, 3 on a real cluster. */
  readonly replicationFactor?: number;
  /**
   * Put before every consumer group id: the installation's topic prefix, so that
   * installations (or test runs) sharing a cluster never share a group. A shared group
   * rebalances whenever any member of any of them joins or leaves, stalling all of them.
   */
  readonly groupIdPrefix?: string;
  /**
   * How long the group coordinator waits for a silent consumer before it gives its
   * partitions to the others (default 30 000, the broker allows 6 000 and up). A process that
   * died without leaving its group keeps its partitions this long, and a new consumer of the
   * same process waits as long in its join; a handler that holds a message longer than this
   * (its retries heartbeat, a single slow attempt does not) loses the partition and the message
   * is delivered again. The heartbeat is a third of it, at most 3 s.
   */
  readonly sessionTimeoutMs?: number;
  readonly log?: (level: 'error' | 'warn' | 'info', message: string, extra?: Record<string, unknown>) => void;
}

export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
/** The broker's default group.min.session.timeout.ms: a shorter session is refused at join. */
export const MIN_SESSION_TIMEOUT_MS = 6_000;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function toHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}

/**
 * kafkajs behind our port. The producer is idempotent with acks from all replicas, so a
 * retried send is not duplicated by the broker; consumers retry a failing message in
 * place, never skipping it, so a partition waits rather than losing a command.
 */
export class KafkaMessageBus implements MessageBus {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private producerReady?: Promise<Producer>;
  private admin?: Admin;
  private readonly consumers = new Set<Consumer>();
  /** Sends under way per producer, and producers replaced after a failure, to disconnect once idle. */
  private readonly inFlight = new Map<Producer, number>();
  private readonly retired = new Set<Producer>();
  /** The groups this bus consumes for, as Kafka knows them (prefixed): what consumerLag() reports. */
  private readonly groups = new Map<object, { groupId: string; topics: readonly string[]; fromBeginning: boolean }>();

  constructor(private readonly options: KafkaBusOptions) {
    const session = options.sessionTimeoutMs;
    if (session !== undefined && (!Number.isInteger(session) || session < MIN_SESSION_TIMEOUT_MS)) {
      throw new Error(`sessionTimeoutMs: ${session} is not a whole number of milliseconds >= ${MIN_SESSION_TIMEOUT_MS}`);
    }
    const log = options.log;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
      logCreator:
        () =>
        ({ level, log: entry }: LogEntry) => {
          const { message, ...extra } = entry;
          const lvl = level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'info';
          if (log) log(lvl, `kafka: ${message}`, extra);
        },
    });
  }

  private async getProducer(): Promise<Producer> {
    if (!this.producerReady) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // murmur2 like the Java client, so other producers' keys land on the same partitions.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.producerReady = producer.connect().then(
        () => (this.producer = producer),
        (error: unknown) => {
          this.producerReady = undefined;
          throw error;
        },
      );
    }
    return this.producerReady;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.getProducer();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    this.inFlight.set(producer, (this.inFlight.get(producer) ?? 0) + 1);
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic.entries()].map(([topic, ms]) => ({
          topic,
          // The message's own trace context wins: the outbox relay publishes the one stored with the row.
          messages: ms.map((m) => ({ key: m.key, value: m.value, headers: withTraceHeaders(m.headers) })),
        })),
      });
    } catch (error) {
      this.retire(producer);
      throw error;
    } finally {
      const left = (this.inFlight.get(producer) ?? 1) - 1;
      if (left > 0) this.inFlight.set(producer, left);
      else this.inFlight.delete(producer);
      if (left <= 0 && this.retired.delete(producer)) void producer.disconnect().catch(() => undefined);
    }
  }

  /**
   * After a failed send the next publish gets a new producer (a new producer id, sequence
   * numbers from 0). kafkajs takes a batch's sequence numbers back when its produce request
   * fails, also when the broker appended the batch before it went away (killed after the
   * write, or the reply lost): the producer's next, different batch then carries a sequence
   * the broker has seen, and every send after it is refused with OUT_OF_ORDER_SEQUENCE_NUMBER
   * for good (an outbox relay that never publishes again). A new producer may send a batch the
   * old one had written: at-least-once, which consumers dedupe by message id anyway.
   */
  private retire(producer: Producer): void {
    if (this.producer !== producer) return;
    this.producer = undefined;
    this.producerReady = undefined;
    // Sends still under way on it finish first (the last one disconnects it).
    this.retired.add(producer);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const groupId = this.prefixed(options.groupId);
    const fromBeginning = options.fromBeginning ?? true;
    const key = {};
    const stopped = new AbortController();
    let current: Consumer | undefined;
    let replacing: Promise<void> | undefined;

    // kafkajs restarts a consumer itself after a retriable crash; after any other (a
    // non-retriable protocol error while the broker restarts, say) it leaves it stopped for
    // good and the partitions unread while the service looks healthy. Then a new consumer
    // takes its place, in the same group, so it resumes from the committed offsets.
    const replace = (crashed: Consumer, error: unknown) => {
      if (stopped.signal.aborted || crashed !== current || replacing) return;
      this.options.log?.('error', `consumer of ${groupId} stopped for good after ${describe(error)}; starting a new one`);
      replacing = (async () => {
        this.consumers.delete(crashed);
        await crashed.disconnect().catch(() => undefined);
        current = undefined;
        current = await pRetry(() => (stopped.signal.aborted ? Promise.reject(new AbortError('subscription stopped')) : start()), {
          retries: Number.POSITIVE_INFINITY,
          minTimeout: 500,
          maxTimeout: 5000,
          signal: stopped.signal,
          onFailedAttempt: ({ error: e, attemptNumber }) =>
            this.options.log?.('error', `new consumer of ${groupId} did not start (attempt ${attemptNumber}): ${describe(e)}`),
        }).catch(() => undefined);
      })().finally(() => (replacing = undefined));
    };

    const start = async (): Promise<Consumer> => {
      const consumer = this.kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: this.sessionTimeoutMs,
        heartbeatInterval: Math.min(3000, Math.floor(this.sessionTimeoutMs / 3)),
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) replace(consumer, payload.error);
      });
      this.consumers.add(consumer);
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [...options.topics], fromBeginning });
        await consumer.run({
          autoCommit: true,
          partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
          eachMessage: ({ topic, partition, message, heartbeat }) => this.deliver(options, stopped.signal, { topic, partition, message, heartbeat }),
        });
      } catch (error) {
        this.consumers.delete(consumer);
        await consumer.disconnect().catch(() => undefined);
        throw error;
      }
      // Stopped while this one started (a replacement): it must not run on.
      if (stopped.signal.aborted) {
        this.consumers.delete(consumer);
        await consumer.disconnect().catch(() => undefined);
      }
      return consumer;
    };

    current = await start();
    this.groups.set(key, { groupId, topics: [...options.topics], fromBeginning });
    return {
      stop: async () => {
        stopped.abort();
        this.groups.delete(key);
        await replacing;
        if (current) {
          this.consumers.delete(current);
          await current.disconnect();
        }
      },
    };
  }

  private get sessionTimeoutMs(): number {
    return this.options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  }

  private async deliver(
    options: SubscribeOptions,
    stopping: AbortSignal,
    { topic, partition, message, heartbeat }: Pick<EachMessagePayload, 'topic' | 'partition' | 'message' | 'heartbeat'>,
  ): Promise<void> {
    const incoming: IncomingMessage = {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: toHeaders(message.headers),
    };
    // One span per message, continuing the sender's trace from the headers.
    await consumeInSpan(topic, incoming.headers, async () => {
      // Retry in place with capped backoff: an infrastructure failure (PostgreSQL down)
      // must delay the message, not drop it or reorder the partition.
      for (let attempt = 1; ; attempt++) {
        try {
          await options.handle(incoming);
          return;
        } catch (error) {
          if (stopping.aborted) throw error;
          this.options.log?.('error', `handler failed on ${topic}[${partition}]@${message.offset}, attempt ${attempt}`, {
            error: (error as Error)?.message ?? String(error),
          });
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(attempt, 6))));
          await heartbeat().catch(() => undefined);
        }
      }
    });
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = await this.getAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) await this.createTopics(admin, missing);
    // Services start together and create shared topics at the same moment: the one whose
    // create lost the race (or that listed a topic created an instant ago) must still wait
    // until every partition has a leader, or its first subscribe fails with
    // "This server does not host this topic-partition".
    await pRetry(
      async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
        const leaderless = topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
        if (leaderless.length > 0) throw new Error(`topics without leaders yet: ${leaderless.join(', ')}`);
      },
      { retries: 20, minTimeout: 100, maxTimeout: 1000 },
    );
  }

  private async createTopics(admin: Admin, missing: readonly TopicSpec[]): Promise<void> {
    // Not kafkajs's waitForLeaders: its metadata poll gives up on UNKNOWN_TOPIC_OR_PARTITION,
    // which a fresh topic answers for a moment (it stopped a service at start); the wait is ours, above.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: s.replicationFactor ?? this.options.replicationFactor ?? 1,
        configEntries: s.retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(s.retentionMs) }],
      })),
    });
  }

  /**
   * Per consumer group of this bus and topic: the partitions' end offsets minus the group's
   * committed offsets, summed. A partition the group has not committed on yet counts from
   * its earliest offset when the group reads from the beginning (it will read all of it),
   * else as 0. Rejects when Kafka does not answer.
   */
  async consumerLag(): Promise<ConsumerLag[]> {
    const groups = [...this.groups.values()];
    if (groups.length === 0) return [];
    const admin = await this.getAdmin();
    const topics = [...new Set(groups.flatMap((g) => g.topics))];
    const ends = new Map<string, Map<number, { high: bigint; low: bigint }>>();
    await Promise.all(
      topics.map(async (topic) => {
        const offsets = await admin.fetchTopicOffsets(topic);
        ends.set(topic, new Map(offsets.map((o) => [o.partition, { high: BigInt(o.high), low: BigInt(o.low) }])));
      }),
    );
    const out: ConsumerLag[] = [];
    for (const group of groups) {
      const committed = await admin.fetchOffsets({ groupId: group.groupId, topics: [...group.topics] });
      for (const { topic, partitions } of committed) {
        let lag = 0n;
        for (const [partition, end] of ends.get(topic) ?? []) {
          const at = BigInt(partitions.find((p) => p.partition === partition)?.offset ?? '-1');
          const from = at >= 0n ? at : group.fromBeginning ? end.low : end.high;
          if (end.high > from) lag += end.high - from;
        }
        out.push({ group: group.groupId, topic, lag: Number(lag) });
      }
    }
    return out;
  }

  async topicOffsets(topics: readonly string[]): Promise<PartitionOffsets[]> {
    const admin = await this.getAdmin();
    const out: PartitionOffsets[] = [];
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) out.push({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) });
    }
    return out;
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    const admin = await this.getAdmin();
    const out: CommittedOffset[] = [];
    for (const t of await admin.fetchOffsets({ groupId: this.prefixed(groupId), topics: [...topics] })) {
      for (const p of t.partitions) if (Number(p.offset) >= 0) out.push({ topic: t.topic, partition: p.partition, offset: Number(p.offset) });
    }
    return out;
  }

  async deleteGroup(groupId: string): Promise<void> {
    const admin = await this.getAdmin();
    await admin.deleteGroups([this.prefixed(groupId)]);
  }

  private prefixed(groupId: string): string {
    return `${this.options.groupIdPrefix ?? ''}${groupId}`;
  }

  async ping(): Promise<void> {
    const admin = await this.getAdmin();
    await admin.describeCluster();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    this.groups.clear();
    await Promise.allSettled([this.producer, ...this.retired].map((p) => p?.disconnect()));
    this.retired.clear();
    this.producer = undefined;
    this.producerReady = undefined;
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}
