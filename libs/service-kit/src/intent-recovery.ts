import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { PgEventStore } from '@strata/event-store';
import type { CommandMeta } from './aggregate-runner';
import type { Clock } from './clock';
import { intervalSetting } from './config';
import { Periodic } from './periodic';

const SWEEP_INTERVAL_MS = intervalSetting('STRATA_RECOVERY_INTERVAL_MS', 30_000);
/** Work younger than this is probably still in the hands of a live handler. */
const GRACE_MS = intervalSetting('STRATA_RECOVERY_GRACE_MS', 30_000, 0);

/** What finishing one aggregate's pending work came to; only 'done' and 'started' are logged. */
export type RecoveryOutcome = 'done' | 'started' | 'nothing_to_do' | 'retry_later';

export interface IntentRecoveryOptions {
  /** What the aggregates are called in the logs ("volume", "snapshot"). */
  readonly noun: string;
  readonly streamPrefix: string;
  /** Event types after which the aggregate is mid-operation (an intent without its outcome). */
  readonly transitional: readonly string[];
}

/**
 * Finishes what a crash (or a backend that stayed unreachable) left half done: every
 * aggregate whose newest event is an intent gets its backend side run again, under the
 * intent's causation so the original job ends. Once at start for everything, then every
 * STRATA_RECOVERY_INTERVAL_MS for work older than STRATA_RECOVERY_GRACE_MS. A service
 * subclasses it with the one thing that differs: how to finish one aggregate.
 */
export abstract class IntentRecovery implements OnApplicationBootstrap, OnApplicationShutdown {
  protected readonly log: Logger;
  private readonly periodic = new Periodic(SWEEP_INTERVAL_MS, () => this.sweep(GRACE_MS));
  private initial?: Promise<number>;

  protected constructor(
    private readonly store: PgEventStore,
    private readonly clock: Clock,
    private readonly options: IntentRecoveryOptions,
  ) {
    this.log = new Logger(new.target.name);
  }

  /** Runs the aggregate's pending backend side and records its outcome. */
  protected abstract finish(aggregateId: string, meta: CommandMeta): Promise<RecoveryOutcome>;

  onApplicationBootstrap(): void {
    this.initial = this.sweep(0);
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
    await this.initial;
  }

  /** Returns how many aggregates it moved to an outcome. */
  async sweep(graceMs: number): Promise<number> {
    const { noun } = this.options;
    let finished = 0;
    try {
      const pending = await this.store.streamsEndingWith(this.options.streamPrefix, this.options.transitional);
      const cutoff = this.clock.now().getTime() - graceMs;
      for (const { envelope } of pending) {
        if (Date.parse(envelope.occurredAt) > cutoff) continue;
        const id = envelope.aggregateId;
        try {
          const outcome = await this.finish(id, {
            causationId: envelope.causationId ?? envelope.messageId,
            correlationId: envelope.correlationId,
            tenant: envelope.tenant,
          });
          if (outcome === 'done') {
            finished += 1;
            this.log.log(`recovered ${noun} ${id} (was ${envelope.type})`);
          } else if (outcome === 'started') {
            this.log.log(`resumed ${noun} ${id} in the background (was ${envelope.type})`);
          }
        } catch (error) {
          this.log.error(`recovery of ${noun} ${id} failed: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      this.log.error(`recovery sweep failed: ${(error as Error).message}`);
    }
    return finished;
  }
}
