import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IntentRecovery, type CommandMeta, type RecoveryOutcome } from '@strata/service-kit';
import { TRANSITIONAL_VOLUME_EVENTS, VOLUME_STREAM_PREFIX } from '../domain/volume';
import { VolumeEffects } from './volume-effects';

/**
 * Finishes what a crash left half done: every volume whose newest event is an intent
 * (create, delete, resize, attach, detach, QoS change, migration, or a migration's switch
 * whose old copy is not deleted yet) gets its backend call repeated and its outcome
 * recorded; migrations resume in the background.
 */
@Injectable()
export class VolumeRecovery extends IntentRecovery {
  constructor(
    store: PgEventStore,
    clock: Clock,
    private readonly effects: VolumeEffects,
  ) {
    super(store, clock, { noun: 'volume', streamPrefix: VOLUME_STREAM_PREFIX, transitional: TRANSITIONAL_VOLUME_EVENTS });
  }

  protected finish(volumeId: string, meta: CommandMeta): Promise<RecoveryOutcome> {
    return this.effects.complete(volumeId, meta);
  }
}
