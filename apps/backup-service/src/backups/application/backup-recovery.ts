import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IntentRecovery, type CommandMeta, type RecoveryOutcome } from '@strata/service-kit';
import { BACKUP_STREAM_PREFIX } from '../domain/backup';
import { BackupDeletion } from './backup-deletion';
import { BackupDecisions } from './backup-decisions';
import { BackupRuns } from './backup-runs';

/**
 * After a crash: a backup whose newest event says it is on its data step (attached, or
 * progressed) has its data step run again; a deletion requested and not finished is
 * finished. Every other step resumes by itself (its command is in the outbox, its outcome
 * will come through the inbox).
 */
@Injectable()
export class BackupRecovery extends IntentRecovery {
  constructor(
    store: PgEventStore,
    clock: Clock,
    private readonly decisions: BackupDecisions,
    private readonly runs: BackupRuns,
    private readonly deletion: BackupDeletion,
  ) {
    super(store, clock, { noun: 'backup', streamPrefix: BACKUP_STREAM_PREFIX, transitional: ['BackupSourceAttached', 'BackupProgressed', 'BackupDeletionRequested'] });
  }

  protected async finish(backupId: string, meta: CommandMeta): Promise<RecoveryOutcome> {
    const state = await this.decisions.load(backupId);
    if (state.status === 'deleting') {
      await this.deletion.finish(backupId, meta);
      return 'done';
    }
    if (state.status !== 'running' || state.stage !== 'data') return 'nothing_to_do';
    return this.runs.start(backupId, meta) ? 'started' : 'nothing_to_do';
  }
}
