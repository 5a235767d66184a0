import { Injectable } from '@nestjs/common';
import { EventTopicsConsumer } from '../../projection/application/event-topics.consumer';
import { projectionGroupOf } from '../../projection/domain/generation';
import { GenerationStore } from '../../projection/infrastructure/generation.store';
import { lagByTopic } from '../domain/rebuild-progress';
import { KafkaOffsets } from '../infrastructure/kafka-offsets';

const CACHE_MS = 2000;

/**
 * How far the projection is behind the event topics, in messages: per topic, the end offsets
 * now minus the current generation's committed offsets. Cached a moment, so a scrape and a
 * GET /read-models together ask Kafka once.
 */
@Injectable()
export class ProjectionLag {
  private cached?: { at: number; lag: Promise<Record<string, number>> };

  constructor(
    private readonly generations: GenerationStore,
    private readonly projection: EventTopicsConsumer,
    private readonly offsets: KafkaOffsets,
  ) {}

  byTopic(): Promise<Record<string, number>> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      const lag = this.read();
      this.cached = { at: now, lag };
      lag.catch(() => (this.cached = undefined));
    }
    return this.cached.lag;
  }

  async total(): Promise<number> {
    return Object.values(await this.byTopic()).reduce((a, b) => a + b, 0);
  }

  private async read(): Promise<Record<string, number>> {
    const topics = this.projection.eventTopics();
    const { generation } = await this.generations.current();
    const [ends, committed] = await Promise.all([this.offsets.partitions(topics), this.offsets.committed(projectionGroupOf(generation), topics)]);
    return lagByTopic(ends, committed);
  }
}
