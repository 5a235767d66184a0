import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Clock, type CommandMeta } from '@strata/service-kit';
import { BackupEngine, ChunkStores } from '../../engine/ports';
import { BackgroundRuns, everyTenth } from '../../infrastructure/background-runs';
import { errorInfoOf } from '../../infrastructure/outgoing';
import { BackupDecisions } from './backup-decisions';

/**
 * The data step of a backup, in the background: the engine reads the attached clone and
 * writes to the target the chunks it lacks and the manifest, then verifies them. Run again
 * from the start after a crash (BackupRecovery): content addressing makes a rerun write only
 * what is still missing.
 */
@Injectable()
export class BackupRuns implements OnApplicationShutdown {
  private readonly log = new Logger('BackupRuns');
  private readonly runs = new BackgroundRuns(this.log);

  constructor(
    private readonly decisions: BackupDecisions,
    private readonly engine: BackupEngine,
    private readonly stores: ChunkStores,
    private readonly clock: Clock,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runs.stopAll();
  }

  isRunning(backupId: string): boolean {
    return this.runs.isRunning(backupId);
  }

  /** Starts the data step when the backup waits on it; false when it does not or it runs already. */
  start(backupId: string, fallback: CommandMeta): boolean {
    return this.runs.start(backupId, (signal) => this.run(backupId, fallback, signal));
  }

  private async run(backupId: string, fallback: CommandMeta, signal: AbortSignal): Promise<void> {
    const state = await this.decisions.load(backupId);
    if (state.status !== 'running' || state.stage !== 'data' || !state.attached) return;
    const meta = await this.decisions.metaOf(backupId, fallback);
    this.log.log(`backup ${backupId}: reading ${state.sizeBytes} bytes (${state.kind}${state.parentBackupId ? ` after ${state.parentBackupId}` : ''})`);
    try {
      const store = await this.stores.storeFor(state.targetId);
      const result = await this.engine.backup({
        backupId,
        volumeId: state.volumeId,
        parentBackupId: state.parentBackupId,
        kind: state.kind,
        sourcePath: state.attached.devicePath,
        sizeBytes: state.sizeBytes,
        chunkSizeBytes: state.chunkSizeBytes,
        createdAt: this.clock.now().toISOString(),
        store,
        signal,
        onProgress: everyTenth(async (bytesDone, bytesTotal) => {
          await this.decisions.execute(backupId, { type: 'RecordProgress', bytesDone, bytesTotal }, meta);
        }),
      });
      if (signal.aborted) return;
      await this.decisions.execute(backupId, { type: 'RecordDataWritten', result }, meta);
    } catch (error) {
      // Stopped for a shutdown: the next start runs it again.
      if (signal.aborted) return;
      this.log.warn(`backup ${backupId}: data step failed: ${(error as Error).message}`);
      await this.decisions.execute(backupId, { type: 'RecordDataFailed', error: errorInfoOf(error, 'backup.data_failed') }, meta);
    }
  }
}
