import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { PoolsModule } from '../pools/pools.module';
import { VolumesModule } from '../volumes/volumes.module';
import { BackupsController, BackupSchedulesController, BackupTargetsController, RestoresController, VolumeBackupsController } from './api/backups.controllers';
import { BackupCommandsHandler } from './application/backup-commands.handler';
import { BackupLookups } from './application/backup-lookups';
import { BackupQueries } from './application/backup-queries';

/** Backup targets, backups, restores and backup schedules: their commands go to the backup service, their view comes from its events. */
@Module({
  imports: [CommandsModule, HistoryModule, VolumesModule, PoolsModule],
  controllers: [BackupTargetsController, BackupsController, RestoresController, BackupSchedulesController, VolumeBackupsController],
  providers: [BackupCommandsHandler, BackupLookups, BackupQueries],
})
export class BackupsModule {}
