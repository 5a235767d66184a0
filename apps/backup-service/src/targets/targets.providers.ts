// The targets context (backup targets and their chunk stores) and the data path engine: what app.module.ts spreads into the backup service.
import type { Provider } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { ChunkEngine } from '../engine/chunk-engine';
import { BackupEngine, ChunkStores } from '../engine/ports';
import { AddBackupTargetHandler, RemoveBackupTargetHandler } from './application/backup-target.handlers';
import { BackupTargetReader } from './application/backup-target-reader';
import { BackupsOnTarget, BackupsOnTargetFromLog } from './application/backups-on-target';
import { TargetChunkStores } from './application/target-chunk-stores';
import { BackupTargetSecrets1765000000000 } from './infrastructure/1765000000000-target-secrets.migration';
import { TargetProbe } from './infrastructure/target-probe';
import { TargetSecrets } from './infrastructure/target-secrets';

export { AddBackupTargetHandler, RemoveBackupTargetHandler } from './application/backup-target.handlers';
export { BackupTargetReader } from './application/backup-target-reader';
export { BackupsOnTarget } from './application/backups-on-target';

/**
 * Needs PlatformModule's providers. BackupsOnTarget reads the log by default; the backups
 * context may provide its own (override the token) once it has a query of its own.
 */
export const TARGETS_PROVIDERS: Provider[] = [
  TargetSecrets,
  TargetProbe,
  BackupTargetReader,
  AddBackupTargetHandler,
  RemoveBackupTargetHandler,
  { provide: BackupsOnTarget, useClass: BackupsOnTargetFromLog },
  { provide: ChunkStores, useClass: TargetChunkStores },
  { provide: BackupEngine, useClass: ChunkEngine },
];
export const TARGETS_MIGRATIONS: (new () => MigrationInterface)[] = [BackupTargetSecrets1765000000000];
