import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IntentRecovery, type CommandMeta, type RecoveryOutcome } from '@strata/service-kit';
import { TRANSITIONAL_VM_SNAPSHOT_EVENTS, VM_SNAPSHOT_STREAM_PREFIX } from '../domain/vm-snapshot';
import { VmSnapshotEffects } from './vm-snapshot-effects';

/**
 * Finishes what a crash (or a backend that stayed unreachable) left half done: every VM
 * snapshot whose newest event is an intent (create, delete, revert) gets its backend calls
 * repeated and its outcome recorded under the intent's causation, so the original job ends.
 */
@Injectable()
export class VmSnapshotRecovery extends IntentRecovery {
  constructor(
    store: PgEventStore,
    clock: Clock,
    private readonly effects: VmSnapshotEffects,
  ) {
    super(store, clock, { noun: 'VM snapshot', streamPrefix: VM_SNAPSHOT_STREAM_PREFIX, transitional: TRANSITIONAL_VM_SNAPSHOT_EVENTS });
  }

  protected finish(vmSnapshotId: string, meta: CommandMeta): Promise<RecoveryOutcome> {
    return this.effects.complete(vmSnapshotId, meta);
  }
}
