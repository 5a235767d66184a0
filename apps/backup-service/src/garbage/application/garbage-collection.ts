import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { CollectBackupGarbageData, Envelope, Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { isDomainError } from '@strata/kernel';
import { AggregateRunner, Clock, type CommandMeta, commandMeta, intervalFromEnv, intervalSetting, Periodic, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../backup.constants';
import { ProcessesStore } from '../../backups/infrastructure/processes.store';
import { BackupEngine, ChunkStores, type StoredChunk } from '../../engine/ports';
import { errorInfoOf } from '../../infrastructure/outgoing';
import { BackupTargetReader } from '../../targets/targets.providers';
import { checkCollectable, garbageDecider, garbageStreamId, GarbageErrors, selectGarbage, type GarbageCommand } from '../domain/garbage';

// Checked at start with the other settings; read again per instance (tests change them).
intervalSetting('STRATA_BACKUP_GC_GRACE_MS', 6 * 3_600_000, 0);
intervalSetting('STRATA_BACKUP_GC_INTERVAL_MS', 24 * 3_600_000, 1000);

const TARGET_STREAM_PREFIX = 'backup-target-';

/**
 * CollectBackupGarbage (on demand) and the same on a timer per target
 * (STRATA_BACKUP_GC_INTERVAL_MS, default 24 h): the chunks first, then every manifest on the
 * target (every installation's: a shared target is safe, no other installation's chunk is
 * taken for garbage), then the chunks no manifest lists and older than
 * STRATA_BACKUP_GC_GRACE_MS (default 6 h) are deleted. Listing the chunks before the
 * manifests means a backup finished in between is seen with its chunks. A manifest that
 * cannot be read stops the round (it may list chunks): nothing is deleted.
 */
@Injectable()
export class BackupGarbageCollection implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(BackupGarbageCollection.name);
  private readonly graceMs = intervalFromEnv('STRATA_BACKUP_GC_GRACE_MS', 6 * 3_600_000, 0);
  private readonly periodic = new Periodic(intervalFromEnv('STRATA_BACKUP_GC_INTERVAL_MS', 24 * 3_600_000, 1000), () => this.sweep());

  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly targets: BackupTargetReader,
    private readonly stores: ChunkStores,
    private readonly engine: BackupEngine,
    private readonly processes: ProcessesStore,
    private readonly clock: Clock,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  onApplicationBootstrap(): void {
    // Not at start: a service that restarts often would collect often; the timer (or an operator) decides.
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  async handle(command: Envelope<'CollectBackupGarbage', CollectBackupGarbageData>): Promise<void> {
    const targetId = command.aggregateId;
    checkCollectable(targetId, (await this.targets.get(targetId)).status === 'active');
    const running = await this.processes.runningOn(targetId);
    if (running > 0) throw GarbageErrors.targetBusy(targetId, running);
    await this.collect(targetId, commandMeta(command), command.messageId);
  }

  /** Every active target, one after the other; a busy one waits for the next round. */
  private async sweep(): Promise<void> {
    for (const streamId of await this.store.streamIds(TARGET_STREAM_PREFIX)) {
      const targetId = streamId.slice(TARGET_STREAM_PREFIX.length);
      try {
        if ((await this.targets.get(targetId)).status !== 'active') continue;
        if ((await this.processes.runningOn(targetId)) > 0) {
          this.log.log(`backup target ${targetId}: backups running, garbage collected next round`);
          continue;
        }
        await this.collect(targetId, { causationId: `gc:${targetId}`, correlationId: targetId, tenant: null });
      } catch (error) {
        this.log.error(`backup target ${targetId}: garbage collection: ${(error as Error).message}`);
      }
    }
  }

  private async collect(targetId: string, meta: CommandMeta, inboxMessageId?: string): Promise<void> {
    let command: GarbageCommand;
    try {
      const store = await this.stores.storeFor(targetId);
      const chunks: StoredChunk[] = [];
      for await (const chunk of store.listChunks()) chunks.push(chunk);
      const referenced = new Set<string>();
      const manifestIds = await store.listManifestIds();
      let manifests = 0;
      for (const backupId of manifestIds) {
        const manifest = await this.engine.readManifest(backupId, store);
        // Deleted since the listing: its chunks are garbage like any other.
        if (!manifest) continue;
        manifests++;
        for (const id of manifest.chunks) if (id !== null) referenced.add(id);
      }
      const selection = selectGarbage(chunks, referenced, this.clock.now(), this.graceMs);
      for (const id of selection.garbage) await store.deleteChunk(id);
      command = { type: 'RecordCollection', targetId, targetExists: true, manifests, selection };
      this.log.log(
        `backup target ${targetId}: ${manifests} manifests, ${selection.kept.length} chunks kept, ${selection.garbage.length} deleted, ${selection.tooYoung.length} too young`,
      );
    } catch (error) {
      // A target removed meanwhile is refused like on arrival; anything else fails the round (recorded).
      if (isDomainError(error) && error.code === 'backuptarget.not_found') throw error;
      this.log.warn(`backup target ${targetId}: garbage collection failed: ${(error as Error).message}`);
      command = { type: 'RecordCollectionFailed', targetId, targetExists: true, error: errorInfoOf(error, 'backup.gc_failed') };
    }
    await this.runner.execute(garbageDecider, garbageStreamId(targetId), targetId, () => command, meta, {
      outboxTopic: this.topics.backupEvents,
      ...(inboxMessageId ? { inbox: { consumer: CONSUMER_GROUP, messageId: inboxMessageId } } : {}),
    });
  }
}
