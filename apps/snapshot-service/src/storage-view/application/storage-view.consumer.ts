import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { decodeMessage, type Envelope, type Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { deadLetter, type IncomingMessage, type MessageBus, type Subscription } from '@strata/messaging';
import { Clock, MESSAGE_BUS, TOPICS } from '@strata/service-kit';
import { STORAGE_VIEW_CONSUMER } from '../../snapshot.constants';
import { missingFields, projectPool, projectVolume, viewTargetOf, type PoolViewEvent, type VolumeViewEvent } from '../domain/storage-view';
import { StorageViewStore } from '../infrastructure/storage-view.store';
import { SnapshotsOfDeletedVolumes } from '../../snapshots/application/snapshots-of-deleted-volumes';

type Read = { readonly ok: true; readonly envelope: Envelope<string, Record<string, unknown>> } | { readonly ok: false; readonly reason: string };

/**
 * Keeps the snapshot service's view of pools and volumes from the storage events topic,
 * in a consumer group of its own. Each event is applied exactly once: the inbox claim
 * commits with the rows. What can never be applied (unreadable, missing the fields the
 * view needs) goes to the dead-letter topic with the reason; anything else that fails
 * (PostgreSQL down) is retried in place by the bus, so the partition waits, in order.
 */
@Injectable()
export class StorageViewConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('StorageView');
  private subscription?: Subscription;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(TOPICS) private readonly topics: Topics,
    private readonly store: PgEventStore,
    private readonly view: StorageViewStore,
    private readonly clock: Clock,
    private readonly deletedVolumes: SnapshotsOfDeletedVolumes,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: STORAGE_VIEW_CONSUMER,
      topics: [this.topics.storageEvents],
      fromBeginning: true,
      partitionsConsumedConcurrently: 3,
      handle: (message) => this.receive(message),
    });
    this.log.log(`keeping the pools and volumes of ${this.topics.storageEvents}`);
  }

  // Before PlatformModule closes the bus (onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }

  async receive(message: IncomingMessage): Promise<void> {
    const read = readEvent(message);
    if (!read.ok) return this.deadLetter(message, read.reason);
    const applied = await this.apply(read.envelope);
    if (applied && read.envelope.type === 'VolumeDeleted') {
      const { envelope } = read;
      await this.deletedVolumes.sweep(envelope.data.volumeId as string, {
        causationId: envelope.messageId,
        correlationId: envelope.correlationId,
        tenant: envelope.tenant,
      });
    }
  }

  /** False when nothing was applied: an event the view ignores, or one already applied. */
  async apply(envelope: Envelope<string, Record<string, unknown>>): Promise<boolean> {
    const target = viewTargetOf(envelope.type);
    if (!target) return false;
    const event = { type: envelope.type, data: envelope.data, streamVersion: envelope.streamVersion as number };
    return this.store.transaction(async (m) => {
      if (!(await this.store.claim(m, STORAGE_VIEW_CONSUMER, envelope.messageId))) return false;
      if (target === 'pool') {
        const poolId = envelope.data.poolId as string;
        const next = projectPool(await this.view.pool(poolId, m), event as unknown as PoolViewEvent);
        if (next) await this.view.savePool(m, next);
        return next !== null;
      }
      const volumeId = envelope.data.volumeId as string;
      const next = projectVolume(await this.view.volume(volumeId, m), event as unknown as VolumeViewEvent);
      if (next) await this.view.saveVolume(m, next);
      return next !== null;
    });
  }

  private async deadLetter(message: IncomingMessage, reason: string): Promise<void> {
    this.log.warn(`dead-lettering ${message.topic}[${message.partition}]@${message.offset}: ${reason}`);
    await this.bus.publish([deadLetter(this.topics.deadLetter, message, reason, STORAGE_VIEW_CONSUMER, this.clock.now().toISOString())]);
  }
}

/** What a retry could never fix is refused here, so it is dead-lettered instead of blocking its partition. */
function readEvent(message: IncomingMessage): Read {
  const decoded = decodeMessage(message.value);
  if (!decoded.ok) return decoded;
  const e = decoded.envelope;
  const fail = (reason: string): Read => ({ ok: false, reason: `${typeof e.type === 'string' ? e.type : 'message'} ${e.messageId}: ${reason}` });
  if (e.kind !== 'event') return fail(`kind is ${JSON.stringify(e.kind)}, expected "event" on an events topic`);
  if (typeof e.type !== 'string' || e.type.length === 0) return fail('type must be a non-empty string');
  if (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data)) return fail('data must be an object');
  if (viewTargetOf(e.type) === null) return { ok: true, envelope: e };
  if (!Number.isSafeInteger(e.streamVersion) || (e.streamVersion as number) < 1) return fail('streamVersion must be a positive integer');
  const missing = missingFields(e.type, e.data);
  if (missing.length > 0) return fail(`data lacks ${missing.map((f) => `data.${f}`).join(', ')}`);
  return { ok: true, envelope: e };
}
