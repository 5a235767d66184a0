import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IntentRecovery, type CommandMeta, type RecoveryOutcome } from '@strata/service-kit';
import { RESTORE_STREAM_PREFIX } from '../domain/restore';
import { RestoreDecisions } from './restore-decisions';
import { RestoreRuns } from './restore-runs';

/** After a crash: a restore on its data step has it run again (the other steps resume through the outbox and inbox). */
@Injectable()
export class RestoreRecovery extends IntentRecovery {
  constructor(
    store: PgEventStore,
    clock: Clock,
    private readonly decisions: RestoreDecisions,
    private readonly runs: RestoreRuns,
  ) {
    super(store, clock, { noun: 'restore', streamPrefix: RESTORE_STREAM_PREFIX, transitional: ['RestoreTargetAttached', 'RestoreProgressed'] });
  }

  protected async finish(restoreId: string, meta: CommandMeta): Promise<RecoveryOutcome> {
    const state = await this.decisions.load(restoreId);
    if (state.status !== 'running' || state.stage !== 'data') return 'nothing_to_do';
    return this.runs.start(restoreId, meta) ? 'started' : 'nothing_to_do';
  }
}
