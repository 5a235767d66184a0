import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { decodeMessage, type Topics } from '@strata/contracts';
import { deadLetter, type IncomingMessage, type MessageBus, type Subscription } from '@strata/messaging';
import { Clock, MESSAGE_BUS, TOPICS } from '@strata/service-kit';
import { PROJECTION_CONSUMER, ProjectStorageEventHandler } from './project-storage-event.handler';
import { readEvent } from '../domain/storage-event';

/**
 * Feeds the read models from the event topics: the storage, snapshot, image and backup events,
 * in one consumer group. Both go through the same projection (an event's type says which
 * rows it touches) and the same inbox, so each event is projected exactly once whichever
 * topic brought it. The topics need no order between them: a snapshot event changes only
 * its snapshot (a policy event only its policy) and its job. What cannot be read or projected goes to the dead-letter topic
 * with the reason; anything else that fails (PostgreSQL down) is retried in place by the
 * bus, so the partition waits instead of losing events.
 */
@Injectable()
export class EventTopicsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('EventsProjection');
  private subscription?: Subscription;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(TOPICS) private readonly topics: Topics,
    private readonly clock: Clock,
    private readonly project: ProjectStorageEventHandler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const topics = [this.topics.storageEvents, this.topics.snapshotEvents, this.topics.imageEvents, this.topics.backupEvents];
    this.subscription = await this.bus.subscribe({
      groupId: PROJECTION_CONSUMER,
      topics,
      fromBeginning: true,
      partitionsConsumedConcurrently: 3,
      handle: (message) => this.receive(message),
    });
    this.log.log(`projecting ${topics.join(', ')}`);
  }

  // Before PlatformModule closes the bus (beforeApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }

  async receive(message: IncomingMessage): Promise<void> {
    const decoded = decodeMessage(message.value);
    if (!decoded.ok) return this.deadLetter(message, decoded.reason);
    const read = readEvent(decoded.envelope);
    if (!read.ok) return this.deadLetter(message, read.reason);
    await this.project.handle(read.event);
  }

  private async deadLetter(message: IncomingMessage, reason: string): Promise<void> {
    this.log.warn(`dead-lettering ${message.topic}[${message.partition}]@${message.offset}: ${reason}`);
    await this.bus.publish([
      deadLetter(this.topics.deadLetter, message, reason, PROJECTION_CONSUMER, this.clock.now().toISOString()),
    ]);
  }
}
