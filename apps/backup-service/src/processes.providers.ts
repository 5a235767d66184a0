// The backups (with their schedules, garbage collection and import), restores and the view of volumes they use: what app.module.ts spreads into the backup service.
import type { Provider } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { BackupDecisions } from './backups/application/backup-decisions';
import { BackupDeletion } from './backups/application/backup-deletion';
import { BackupRecovery } from './backups/application/backup-recovery';
import { BackupRuns } from './backups/application/backup-runs';
import { CreateBackupHandler, DeleteBackupHandler, ImportBackupHandler, VerifyBackupHandler } from './backups/application/backup.handlers';
import { BackupProcesses1765100000001 } from './backups/infrastructure/1765100000001-backup-processes.migration';
import { ProcessesStore } from './backups/infrastructure/processes.store';
import { BackupGarbageCollection } from './garbage/application/garbage-collection';
import { BackupHost } from './infrastructure/backup-host';
import { RestoreBackupHandler } from './restores/application/restore-backup.handler';
import { RestoreDecisions } from './restores/application/restore-decisions';
import { RestoreRecovery } from './restores/application/restore-recovery';
import { RestoreRuns } from './restores/application/restore-runs';
import { BackupSchedules } from './schedules/application/backup-schedules';
import { BackupStorageEventsConsumer } from './volume-view/application/storage-events.consumer';
import { BackupVolumeView1765100000000 } from './volume-view/infrastructure/1765100000000-volume-view.migration';
import { VolumeViewCatchUp } from './volume-view/application/volume-view-catch-up';
import { VolumeViewStore } from './volume-view/infrastructure/volume-view.store';

export { CreateBackupHandler, DeleteBackupHandler, ImportBackupHandler, VerifyBackupHandler } from './backups/application/backup.handlers';
export { BackupGarbageCollection } from './garbage/application/garbage-collection';
export { BackupSchedules } from './schedules/application/backup-schedules';
export { RestoreBackupHandler } from './restores/application/restore-backup.handler';

/** Needs the targets context's providers (BackupTargetReader, ChunkStores, BackupEngine) and PlatformModule's. */
export const PROCESS_PROVIDERS: Provider[] = [
  BackupHost,
  VolumeViewStore,
  VolumeViewCatchUp,
  ProcessesStore,
  BackupDecisions,
  BackupRuns,
  BackupDeletion,
  BackupRecovery,
  CreateBackupHandler,
  VerifyBackupHandler,
  DeleteBackupHandler,
  ImportBackupHandler,
  BackupSchedules,
  BackupGarbageCollection,
  RestoreDecisions,
  RestoreRuns,
  RestoreRecovery,
  RestoreBackupHandler,
  BackupStorageEventsConsumer,
];
export const PROCESS_MIGRATIONS: (new () => MigrationInterface)[] = [BackupVolumeView1765100000000, BackupProcesses1765100000001];
