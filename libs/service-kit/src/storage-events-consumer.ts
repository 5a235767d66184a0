import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { decodeMessage, type Envelope, type ErrorInfo, type Topics } from '@strata/contracts';
import type { IncomingMessage, MessageBus, Subscription } from '@strata/messaging';

export type EventData = Record<string, unknown>;

/**
 * A consumer group of a service's own on the storage and snapshot event topics, for the
 * processes that wait for the outcomes of the commands they sent there (each in its own
 * group, so none waits for another). Subclasses say what an event does; unreadable messages
 * are the dead-letter business of the topics' main consumers, so they are only skipped here.
 */
export abstract class StorageEventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly log: Logger;
  private subscription?: Subscription;

  protected constructor(
    private readonly bus: MessageBus,
    protected readonly topics: Topics,
    private readonly groupId: string,
    logName: string,
  ) {
    this.log = new Logger(logName);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: this.groupId,
      topics: [this.topics.storageEvents, this.topics.snapshotEvents],
      fromBeginning: true,
      partitionsConsumedConcurrently: 3,
      handle: (message) => this.receive(message),
    });
  }

  // After every onModuleDestroy (a consumer's stop can take seconds, and the services' own
  // destroy hooks, like aborting transfers, must not wait for it), before PlatformModule
  // closes the bus (onApplicationShutdown), alongside the command intakes.
  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  async receive(message: IncomingMessage): Promise<void> {
    const decoded = decodeMessage(message.value);
    if (!decoded.ok || decoded.envelope.kind !== 'event' || typeof decoded.envelope.data !== 'object' || decoded.envelope.data === null) return;
    await this.apply(decoded.envelope as Envelope<string, EventData>);
  }

  abstract apply(envelope: Envelope<string, EventData>): Promise<void>;
}

/** An event's error, with defaults for a sender that left parts out. */
export function errorOf(d: EventData): ErrorInfo {
  const e = d.error as Partial<ErrorInfo> | undefined;
  return { code: e?.code ?? 'unknown', category: e?.category ?? 'backend', message: e?.message ?? 'no reason given' };
}
