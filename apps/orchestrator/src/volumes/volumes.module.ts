import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { HostsModule } from '../hosts/hosts.module';
import { PoolsModule } from '../pools/pools.module';
import { VolumesController } from './api/volumes.controller';
import { ChangeVolumeHandler } from './application/change-volume.handler';
import { CreateVolumeHandler } from './application/create-volume.handler';
import { DeleteVolumeHandler } from './application/delete-volume.handler';
import { ListVolumesQuery } from './application/list-volumes.query';
import { ManageVolumeHandler } from './application/manage-volume.handler';
import { MigrateVolumeHandler } from './application/migrate-volume.handler';
import { VolumeLookup } from './application/volume-lookup';

@Module({
  imports: [CommandsModule, HistoryModule, HostsModule, PoolsModule],
  controllers: [VolumesController],
  providers: [
    CreateVolumeHandler,
    DeleteVolumeHandler,
    ChangeVolumeHandler,
    ManageVolumeHandler,
    MigrateVolumeHandler,
    ListVolumesQuery,
    VolumeLookup,
  ],
  exports: [VolumeLookup],
})
export class VolumesModule {}
