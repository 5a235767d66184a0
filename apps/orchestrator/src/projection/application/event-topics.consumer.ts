import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { decodeMessage, type Topics } from '@strata/contracts';
import { deadLetter, type IncomingMessage, type MessageBus, type Subscription } from '@strata/messaging';
import { Clock, MESSAGE_BUS, TOPICS } from '@strata/service-kit';
import { isReplayed, projectionGroupOf, PROJECTION_CONSUMER, type GenerationState } from '../domain/generation';
import { GenerationStore } from '../infrastructure/generation.store';
import { ProjectionProgress } from './projection-progress';
import { ProjectStorageEventHandler, StaleGenerationError } from './project-storage-event.handler';
import { readEvent } from '../domain/storage-event';

/** How often an instance checks whether a rebuild (maybe started on another instance) changed the generation. */
const GENERATION_POLL_MS = 2000;

/**
 * Feeds the read models from the event topics: the storage, snapshot, image and backup events,
 * in one consumer group. Both go through the same projection (an event's type says which
 * rows it touches) and the same inbox, so each event is projected exactly once whichever
 * topic brought it. The topics need no order between them: a snapshot event changes only
 * its snapshot (a policy event only its policy) and its job. What cannot be read or projected goes to the dead-letter topic
 * with the reason; anything else that fails (PostgreSQL down) is retried in place by the
 * bus, so the partition waits instead of losing events.
 *
 * The group is the current generation's (read_model_state): a rebuild starts a new group that
 * reads every topic from the beginning. Every instance follows the recorded generation (at
 * start, when told, and by polling), so a restart continues the generation it was in.
 */
@Injectable()
export class EventTopicsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('EventsProjection');
  private subscription?: Subscription;
  private generation = -1;
  private state?: GenerationState;
  private switching: Promise<void> = Promise.resolve();
  private poll?: NodeJS.Timeout;
  private closed = false;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(TOPICS) private readonly topics: Topics,
    private readonly clock: Clock,
    private readonly project: ProjectStorageEventHandler,
    private readonly generations: GenerationStore,
    private readonly progress: ProjectionProgress,
  ) {}

  /** The topics the read models are projected from. */
  eventTopics(): string[] {
    return [this.topics.storageEvents, this.topics.snapshotEvents, this.topics.imageEvents, this.topics.backupEvents];
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.follow();
    this.poll = setInterval(() => void this.follow().catch((e: unknown) => this.log.warn(`generation check failed: ${(e as Error).message}`)), GENERATION_POLL_MS);
    this.poll.unref();
  }

  // Before PlatformModule closes the bus (onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    await this.switching.catch(() => undefined);
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /** Consumes with the recorded generation's group, switching groups when a rebuild changed it. */
  follow(): Promise<void> {
    this.switching = this.switching.catch(() => undefined).then(async () => {
      if (this.closed) return;
      const state = await this.generations.current();
      this.state = state;
      if (state.generation === this.generation && this.subscription) return;
      await this.subscription?.stop();
      this.subscription = undefined;
      const generation = state.generation;
      this.generation = generation;
      const topics = this.eventTopics();
      this.subscription = await this.bus.subscribe({
        groupId: projectionGroupOf(generation),
        topics,
        fromBeginning: true,
        partitionsConsumedConcurrently: 3,
        handle: (message) => this.receive(message, generation),
      });
      this.log.log(`projecting ${topics.join(', ')} (generation ${generation}, group ${projectionGroupOf(generation)})`);
    });
    return this.switching;
  }

  async receive(message: IncomingMessage, generation = this.generation): Promise<void> {
    const decoded = decodeMessage(message.value);
    if (!decoded.ok) return this.deadLetter(message, decoded.reason);
    const read = readEvent(decoded.envelope);
    if (!read.ok) return this.deadLetter(message, read.reason);
    try {
      await this.project.handle(read.event, generation);
    } catch (error) {
      // Replaced by a rebuild: switch now rather than at the next poll; the bus retries (or
      // drops the message once this subscription stops, for the new group to read it).
      if (error instanceof StaleGenerationError) void this.follow().catch(() => undefined);
      throw error;
    }
    const replayed = this.state ? isReplayed(this.state, message.topic, message.partition, Number(message.offset)) : false;
    this.progress.applied({ topic: message.topic, delaySeconds: (this.clock.now().getTime() - read.event.occurredAt.getTime()) / 1000, replayed });
  }

  private async deadLetter(message: IncomingMessage, reason: string): Promise<void> {
    this.log.warn(`dead-lettering ${message.topic}[${message.partition}]@${message.offset}: ${reason}`);
    await this.bus.publish([
      deadLetter(this.topics.deadLetter, message, reason, PROJECTION_CONSUMER, this.clock.now().toISOString()),
    ]);
  }
}
