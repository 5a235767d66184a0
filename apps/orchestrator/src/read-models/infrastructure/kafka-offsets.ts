import { Inject, Injectable } from '@nestjs/common';
import type { MessageBus } from '@strata/messaging';
import { MESSAGE_BUS } from '@strata/service-kit';
import { partitionKey, type PartitionRange } from '../../projection/domain/generation';
import type { CommittedOffsets } from '../domain/rebuild-progress';

/** Topic and consumer group offsets through the message bus, keyed "topic:partition" as the rebuild's progress wants them. */
@Injectable()
export class KafkaOffsets {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  /** Each partition's low and high watermarks. */
  async partitions(topics: readonly string[]): Promise<Record<string, PartitionRange>> {
    const out: Record<string, PartitionRange> = {};
    for (const p of await this.offsets().topicOffsets(topics)) out[partitionKey(p.topic, p.partition)] = { low: p.low, high: p.high };
    return out;
  }

  /** The group's committed offsets; a partition it committed nothing on is absent. */
  async committed(groupId: string, topics: readonly string[]): Promise<CommittedOffsets> {
    const out: Record<string, number> = {};
    for (const c of await this.offsets().committedOffsets(groupId, topics)) out[partitionKey(c.topic, c.partition)] = c.offset;
    return out;
  }

  /** Deletes a group no one consumes with any more (a replaced generation's), so lag dashboards forget it. */
  async deleteGroup(groupId: string): Promise<void> {
    await this.offsets().deleteGroup(groupId);
  }

  /** The Kafka bus has all three; a bus without them cannot rebuild read models. */
  private offsets(): Required<Pick<MessageBus, 'topicOffsets' | 'committedOffsets' | 'deleteGroup'>> {
    const { topicOffsets, committedOffsets, deleteGroup } = this.bus;
    if (!topicOffsets || !committedOffsets || !deleteGroup) throw new Error('the message bus cannot read Kafka offsets');
    return {
      topicOffsets: topicOffsets.bind(this.bus),
      committedOffsets: committedOffsets.bind(this.bus),
      deleteGroup: deleteGroup.bind(this.bus),
    };
  }
}
