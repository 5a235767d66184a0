/**
 * A generation of the read models: the consumer group that projects the event topics into
 * them. Generation 0 is the group the projection always had; each rebuild starts the next
 * one, a new group that reads every topic from the beginning.
 */
export const PROJECTION_CONSUMER = 'orchestrator-projections';

/** The Kafka consumer group of a generation (before the installation's prefix). */
export function projectionGroupOf(generation: number): string {
  return generation === 0 ? PROJECTION_CONSUMER : `${PROJECTION_CONSUMER}.g${generation}`;
}

/**
 * Where a rebuild puts the projection's inbox claims of the generation it replaces: the
 * messages that generation projected, and so the deploy sagas already reacted to. Kept
 * until the rebuild is done, then deleted.
 */
export function projectedBeforeConsumer(generation: number): string {
  return `${PROJECTION_CONSUMER}:before-g${generation}`;
}

export type ReadModelState = 'live' | 'rebuilding';

/** The read models' generation as the database records it. */
export interface GenerationState {
  readonly generation: number;
  readonly state: ReadModelState;
  readonly jobId: string | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  /** "topic:partition" -> the partition's offsets when the rebuild started. */
  readonly endOffsets: Readonly<Record<string, PartitionRange>>;
  readonly eventsToReplay: number;
  readonly eventsReplayed: number;
}

/** A partition's first and next offsets (Kafka's low and high watermarks). */
export interface PartitionRange {
  readonly low: number;
  readonly high: number;
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/** Whether a message is one a rebuild replays: below its partition's end when the rebuild started. */
export function isReplayed(state: Pick<GenerationState, 'state' | 'endOffsets'>, topic: string, partition: number, offset: number): boolean {
  if (state.state !== 'rebuilding') return false;
  const range = state.endOffsets[partitionKey(topic, partition)];
  return range !== undefined && offset < range.high;
}
