import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IntentRecovery, type CommandMeta, type RecoveryOutcome } from '@strata/service-kit';
import { EXPORT_STREAM_PREFIX, TRANSITIONAL_EXPORT_EVENTS } from '../domain/volume-export';
import { VolumeExportEffects } from './volume-export-effects';

/** Finishes exports a crash left without an outcome: the file is written again from the start. */
@Injectable()
export class VolumeExportRecovery extends IntentRecovery {
  constructor(
    store: PgEventStore,
    clock: Clock,
    private readonly effects: VolumeExportEffects,
  ) {
    super(store, clock, { noun: 'export', streamPrefix: EXPORT_STREAM_PREFIX, transitional: TRANSITIONAL_EXPORT_EVENTS });
  }

  protected finish(exportId: string, meta: CommandMeta): Promise<RecoveryOutcome> {
    return this.effects.complete(exportId, meta);
  }
}
