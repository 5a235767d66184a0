import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';
import { partitionKey, type PartitionRange } from '../../projection/domain/generation';
import type { CommittedOffsets } from '../domain/rebuild-progress';

/**
 * Topic and consumer group offsets, from Kafka's admin API. Our MessageBus port has no
 * offsets, so this edge keeps an admin client of its own (one connection, opened lazily).
 * Group ids get the installation's prefix, as the bus gives them.
 */
@Injectable()
export class KafkaOffsets implements OnModuleDestroy {
  private admin?: Promise<Admin>;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: ServiceConfig) {}

  /** Each partition's low and high watermarks ("topic:partition" keys). */
  async partitions(topics: readonly string[]): Promise<Record<string, PartitionRange>> {
    const admin = await this.client();
    const out: Record<string, PartitionRange> = {};
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) out[partitionKey(topic, p.partition)] = { low: Number(p.low), high: Number(p.high) };
    }
    return out;
  }

  /** The group's committed offsets; a partition it committed nothing on is absent. */
  async committed(groupId: string, topics: readonly string[]): Promise<CommittedOffsets> {
    const admin = await this.client();
    const out: Record<string, number> = {};
    for (const t of await admin.fetchOffsets({ groupId: this.group(groupId), topics: [...topics] })) {
      for (const p of t.partitions) if (Number(p.offset) >= 0) out[partitionKey(t.topic, p.partition)] = Number(p.offset);
    }
    return out;
  }

  /** Deletes a group no one consumes with any more (a replaced generation's), so lag dashboards forget it. */
  async deleteGroup(groupId: string): Promise<void> {
    const admin = await this.client();
    await admin.deleteGroups([this.group(groupId)]);
  }

  async onModuleDestroy(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect().catch(() => undefined);
  }

  private group(groupId: string): string {
    return `${this.config.topicPrefix}${groupId}`;
  }

  private client(): Promise<Admin> {
    if (!this.admin) {
      const kafka = new Kafka({ clientId: `${this.config.serviceName}-offsets`, brokers: [...this.config.kafkaBrokers], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      this.admin = admin.connect().then(
        () => admin,
        (error: unknown) => {
          this.admin = undefined;
          throw error;
        },
      );
    }
    return this.admin;
  }
}
