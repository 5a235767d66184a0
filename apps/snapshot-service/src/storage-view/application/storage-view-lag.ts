import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import type { MessageBus } from '@strata/messaging';
import { MESSAGE_BUS, TOPICS } from '@strata/service-kit';
import { STORAGE_VIEW_CONSUMER } from '../../snapshot.constants';

/** The storage events topic's end offsets at one moment, per partition. */
export type ViewMark = ReadonlyMap<number, number>;

/**
 * Whether the storage view has read the storage events topic up to a given moment. A handler
 * that does not find a volume in the view asks this before refusing: the view follows the topic
 * in a consumer group of its own and, after a restart or under load, can trail the storage
 * service by many seconds, so a volume a sender has seen created may not have reached it yet.
 */
@Injectable()
export class StorageViewLag {
  private readonly log = new Logger('StorageView');

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  /** The topic's end offsets now; null when the bus cannot tell (then nothing is waited for). */
  async mark(): Promise<ViewMark | null> {
    if (!this.bus.topicOffsets || !this.bus.committedOffsets) return null;
    try {
      const ends = await this.bus.topicOffsets([this.topics.storageEvents]);
      return new Map(ends.map((p) => [p.partition, p.high]));
    } catch (error) {
      // Kafka not answering: judge on the view as it is, as before (the partition must not stall on it).
      this.log.warn(`could not read the storage events' end offsets: ${(error as Error).message}`);
      return null;
    }
  }

  /** Whether the view's group has committed every partition up to the mark (what it applied is in its tables by then). */
  async reached(mark: ViewMark): Promise<boolean> {
    try {
      const committed = await this.bus.committedOffsets!(STORAGE_VIEW_CONSUMER, [this.topics.storageEvents]);
      const at = new Map(committed.map((c) => [c.partition, c.offset]));
      return [...mark].every(([partition, end]) => (at.get(partition) ?? 0) >= end);
    } catch (error) {
      this.log.warn(`could not read the storage view's committed offsets: ${(error as Error).message}`);
      return true;
    }
  }
}
