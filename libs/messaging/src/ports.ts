/** Our own messaging port: kafkajs stays behind it (it is in maintenance mode upstream). */

export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string | Buffer | null;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning?: boolean;
  readonly handle: MessageHandler;
  /** Concurrent partitions handled at once; order within a partition is always kept. */
  readonly partitionsConsumedConcurrently?: number;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly retentionMs?: number;
  readonly replicationFactor?: number;
}

/** How far a consumer group is behind on one topic: messages not yet committed, over all partitions. */
export interface ConsumerLag {
  readonly group: string;
  readonly topic: string;
  readonly lag: number;
}

/** A partition's offsets: the first kept (low) and the next to be written (high). */
export interface PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

/** A group's committed offset on one partition (absent when it committed nothing there). */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** A bus that can tell its consumer groups' lag (the Kafka one). */
export interface ConsumerLagSource {
  consumerLag(): Promise<readonly ConsumerLag[]>;
}

export interface MessageBus {
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Lag of every consumer group this bus runs; buses that cannot tell leave it out. */
  consumerLag?(): Promise<readonly ConsumerLag[]>;
  /** Every partition's low and high offsets (the Kafka bus). */
  topicOffsets?(topics: readonly string[]): Promise<readonly PartitionOffsets[]>;
  /** A group's committed offsets; `groupId` as given to subscribe (the bus adds its prefix). */
  committedOffsets?(groupId: string, topics: readonly string[]): Promise<readonly CommittedOffset[]>;
  /** Deletes a consumer group no one consumes with any more; `groupId` as given to subscribe. */
  deleteGroup?(groupId: string): Promise<void>;
  /** Cheap reachability check for readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
