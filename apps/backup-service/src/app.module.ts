import { Module } from '@nestjs/common';
import { PlatformModule } from '@strata/service-kit';
import { DEFAULT_PORT, SCHEMA, SERVICE_NAME } from './backup.constants';
import { BackupManifestController } from './backups/api/backup-manifest.controller';
import { BackupCommandIntake } from './infrastructure/backup-command-intake';
import { PROCESS_MIGRATIONS, PROCESS_PROVIDERS } from './processes.providers';
import { TARGETS_MIGRATIONS, TARGETS_PROVIDERS } from './targets/targets.providers';

/**
 * The backup service: backup targets (a directory or an S3 bucket) and the chunk engine
 * (targets/, engine/); backups and restores of volumes, processes across the storage and
 * snapshot services (backups/, restores/), their schedules with retention (schedules/), the
 * targets' garbage collection (garbage/), import of another installation's backups, and its
 * view of their volumes and snapshots (volume-view/).
 */
@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      defaultPort: DEFAULT_PORT,
      schema: SCHEMA,
      topics: [
        { key: 'backupCommands' },
        { key: 'backupEvents' },
        { key: 'storageCommands' },
        { key: 'storageEvents' },
        { key: 'snapshotCommands' },
        { key: 'snapshotEvents' },
        { key: 'deadLetter' },
      ],
      migrations: [...TARGETS_MIGRATIONS, ...PROCESS_MIGRATIONS],
    }),
  ],
  controllers: [BackupManifestController],
  providers: [...TARGETS_PROVIDERS, ...PROCESS_PROVIDERS, BackupCommandIntake],
})
export class AppModule {}
