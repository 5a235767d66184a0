import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, intervalFromEnv, Periodic } from '@strata/service-kit';
import { TRANSITIONAL_VOLUME_EVENTS, VOLUME_STREAM_PREFIX } from '../domain/volume';
import { VolumeEffects } from './volume-effects';

const SWEEP_INTERVAL_MS = intervalFromEnv('STRATA_RECOVERY_INTERVAL_MS', 30_000);
/** Work younger than this is probably still in the hands of a live handler. */
const GRACE_MS = intervalFromEnv('STRATA_RECOVERY_GRACE_MS', 30_000, 0);

/**
 * Finishes what a crash left half done: every volume whose newest event is an intent
 * (create, delete, resize, attach, detach, QoS change, migration, or a migration's switch
 * whose old copy is not deleted yet) gets its backend call repeated and its outcome
 * recorded; migrations resume in the background. Runs once
 * at start for everything, then on an interval for work older than the grace period.
 */
@Injectable()
export class VolumeRecovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(VolumeRecovery.name);
  private readonly periodic = new Periodic(SWEEP_INTERVAL_MS, () => this.sweep(GRACE_MS));
  private initial?: Promise<number>;

  constructor(
    private readonly store: PgEventStore,
    private readonly effects: VolumeEffects,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.initial = this.sweep(0);
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
    await this.initial;
  }

  /** Returns how many volumes it moved to an outcome. */
  async sweep(graceMs: number): Promise<number> {
    let finished = 0;
    try {
      const pending = await this.store.streamsEndingWith(VOLUME_STREAM_PREFIX, TRANSITIONAL_VOLUME_EVENTS);
      const cutoff = this.clock.now().getTime() - graceMs;
      for (const event of pending) {
        if (Date.parse(event.envelope.occurredAt) > cutoff) continue;
        const volumeId = event.envelope.aggregateId;
        try {
          const outcome = await this.effects.complete(volumeId, {
            causationId: event.envelope.causationId ?? event.envelope.messageId,
            correlationId: event.envelope.correlationId,
            tenant: event.envelope.tenant,
          });
          if (outcome === 'done') {
            finished += 1;
            this.log.log(`recovered volume ${volumeId} (was ${event.envelope.type})`);
          } else if (outcome === 'started') {
            this.log.log(`resumed the migration of volume ${volumeId} (was ${event.envelope.type})`);
          }
        } catch (error) {
          this.log.error(`recovery of volume ${volumeId} failed: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      this.log.error(`recovery sweep failed: ${(error as Error).message}`);
    }
    return finished;
  }
}
