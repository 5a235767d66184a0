import type { MessageBus } from '@strata/messaging';

/** Some topics' end offsets at one moment, by `topic:partition`. */
export type TopicMark = ReadonlyMap<string, number>;

/**
 * Whether a service's view of another service's events (a consumer group of its own) has read
 * those topics up to a given moment. A handler that does not find an aggregate in its view asks
 * this before refusing: after a restart or under load the view can trail the topic by many
 * seconds, so something a sender has already seen created may not have reached it yet. Once the
 * view has read what was on the topics when the command arrived, an absent aggregate is absent.
 */
export class ViewCatchUp {
  constructor(
    private readonly bus: MessageBus,
    /** The view's consumer group, as given to subscribe. */
    private readonly group: string,
    private readonly topics: readonly string[],
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /** The topics' end offsets now; null when the bus cannot tell (then nothing is waited for). */
  async mark(): Promise<TopicMark | null> {
    if (!this.bus.topicOffsets || !this.bus.committedOffsets) return null;
    try {
      const ends = await this.bus.topicOffsets(this.topics);
      return new Map(ends.map((p) => [`${p.topic}:${p.partition}`, p.high]));
    } catch (error) {
      // Kafka not answering: judge on the view as it is (the partition must not stall on it).
      this.warn(`could not read the end offsets of ${this.topics.join(', ')}: ${(error as Error).message}`);
      return null;
    }
  }

  /** Whether the view's group has committed every partition up to the mark (what it applied is in its tables by then). */
  async reached(mark: TopicMark): Promise<boolean> {
    try {
      const committed = await this.bus.committedOffsets!(this.group, this.topics);
      const at = new Map(committed.map((c) => [`${c.topic}:${c.partition}`, c.offset]));
      return [...mark].every(([key, end]) => (at.get(key) ?? 0) >= end);
    } catch (error) {
      this.warn(`could not read the committed offsets of ${this.group}: ${(error as Error).message}`);
      return true;
    }
  }

  /**
   * Reads `probe` until `settled` accepts its answer, or the view has read the topics up to the
   * moment of this call, or `maxMs` passed; answers the last read. The command's partition waits
   * meanwhile, which is the point: the command is judged on a view at least as new as the sender's.
   */
  async settle<T>(probe: () => Promise<T>, settled: (value: T) => boolean, maxMs = 60_000, pollMs = 100): Promise<T> {
    const start = Date.now();
    let mark: TopicMark | null | undefined;
    for (;;) {
      const value = await probe();
      if (settled(value) || Date.now() - start >= maxMs) return value;
      if (mark === undefined) mark = await this.mark();
      if (mark === null || (await this.reached(mark))) return probe();
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
