import type { KafkaMessageBus, Subscription } from '@strata/messaging';

/** An event envelope as the run reads it from an events topic. */
export interface ObservedEvent {
  readonly messageId: string;
  readonly type: string;
  readonly aggregateId: string;
  readonly causationId: string | null;
  readonly topic: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly data?: any;
}

/** Every event on the given topics, in arrival order (per key: in order), from a consumer group of the run's own. */
export class Observer {
  readonly events: ObservedEvent[] = [];
  private sub: Subscription | undefined;

  constructor(
    private readonly bus: KafkaMessageBus,
    private readonly groupId: string,
    private readonly topics: readonly string[],
  ) {}

  async start(): Promise<void> {
    this.sub = await this.bus.subscribe({
      groupId: this.groupId,
      topics: [...this.topics],
      fromBeginning: true,
      handle: async (m) => {
        const e = JSON.parse(m.value!.toString('utf8')) as Omit<ObservedEvent, 'topic'>;
        this.events.push({ ...e, topic: m.topic });
      },
    });
  }

  /** The first event caused by `messageId` (a command's outcome), if seen yet. */
  causedBy(messageId: string, types?: ReadonlySet<string>): ObservedEvent | undefined {
    return this.events.find((e) => e.causationId === messageId && (!types || types.has(e.type)));
  }

  async stop(): Promise<void> {
    await this.sub?.stop().catch(() => undefined);
  }
}
