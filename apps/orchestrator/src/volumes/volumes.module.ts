import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { VolumesController } from './api/volumes.controller';
import { CreateVolumeHandler } from './application/create-volume.handler';
import { DeleteVolumeHandler } from './application/delete-volume.handler';
import { ListVolumesQuery } from './application/list-volumes.query';
import { VolumeLookup } from './application/volume-lookup';

@Module({
  imports: [CommandsModule, HistoryModule],
  controllers: [VolumesController],
  providers: [CreateVolumeHandler, DeleteVolumeHandler, ListVolumesQuery, VolumeLookup],
})
export class VolumesModule {}
