import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IntentRecovery, type CommandMeta, type RecoveryOutcome } from '@strata/service-kit';
import { SNAPSHOT_STREAM_PREFIX, TRANSITIONAL_SNAPSHOT_EVENTS } from '../domain/snapshot';
import { SnapshotEffects } from './snapshot-effects';

/**
 * Finishes what a crash (or a backend that stayed unreachable) left half done: every
 * snapshot whose newest event is an intent (create, delete, revert) gets its backend call
 * repeated and its outcome recorded under the intent's causation, so the original job ends.
 */
@Injectable()
export class SnapshotRecovery extends IntentRecovery {
  constructor(
    store: PgEventStore,
    clock: Clock,
    private readonly effects: SnapshotEffects,
  ) {
    super(store, clock, { noun: 'snapshot', streamPrefix: SNAPSHOT_STREAM_PREFIX, transitional: TRANSITIONAL_SNAPSHOT_EVENTS });
  }

  protected finish(snapshotId: string, meta: CommandMeta): Promise<RecoveryOutcome> {
    return this.effects.complete(snapshotId, meta);
  }
}
