import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { CommandMeta } from '@strata/service-kit';
import { BackupDecisions } from '../../backups/application/backup-decisions';
import { BackupEngine, ChunkStores } from '../../engine/ports';
import { BackgroundRuns, everyTenth } from '../../infrastructure/background-runs';
import { errorInfoOf } from '../../infrastructure/outgoing';
import { RestoreDecisions } from './restore-decisions';

/**
 * The data step of a restore, in the background: the engine writes the backup's chunks to
 * the attached volume (zeros too when over the original). Run again from the start after a
 * crash (RestoreRecovery): writing the same bytes again is harmless.
 */
@Injectable()
export class RestoreRuns implements OnApplicationShutdown {
  private readonly log = new Logger('RestoreRuns');
  private readonly runs = new BackgroundRuns(this.log);

  constructor(
    private readonly decisions: RestoreDecisions,
    private readonly backups: BackupDecisions,
    private readonly engine: BackupEngine,
    private readonly stores: ChunkStores,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runs.stopAll();
  }

  isRunning(restoreId: string): boolean {
    return this.runs.isRunning(restoreId);
  }

  start(restoreId: string, fallback: CommandMeta): boolean {
    return this.runs.start(restoreId, (signal) => this.run(restoreId, fallback, signal));
  }

  private async run(restoreId: string, fallback: CommandMeta, signal: AbortSignal): Promise<void> {
    const state = await this.decisions.load(restoreId);
    if (state.status !== 'running' || state.stage !== 'data' || !state.attached) return;
    const meta = await this.decisions.metaOf(restoreId, fallback);
    try {
      const backup = await this.backups.load(state.backupId);
      if (backup.status === 'absent') throw new Error(`backup ${state.backupId} does not exist`);
      const store = await this.stores.storeFor(backup.targetId);
      await this.engine.restore({
        backupId: state.backupId,
        store,
        targetPath: state.attached.devicePath,
        // A new volume reads as zeros already; the original must get its zeros back.
        writeZeros: state.mode === 'original',
        signal,
        onProgress: everyTenth(async (bytesDone, bytesTotal) => {
          await this.decisions.execute(restoreId, { type: 'RecordProgress', bytesDone, bytesTotal }, meta);
        }),
      });
      if (signal.aborted) return;
      await this.decisions.execute(restoreId, { type: 'RecordDataWritten' }, meta);
    } catch (error) {
      if (signal.aborted) return;
      this.log.warn(`restore ${restoreId}: data step failed: ${(error as Error).message}`);
      await this.decisions.execute(restoreId, { type: 'RecordDataFailed', error: errorInfoOf(error, 'restore.data_failed') }, meta);
    }
  }
}
