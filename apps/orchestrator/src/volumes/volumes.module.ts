import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { CreateVolumeHandler } from './create-volume.handler';
import { DeleteVolumeHandler } from './delete-volume.handler';
import { ListVolumesQuery } from './list-volumes.query';
import { VolumeLookup } from './volume-lookup';
import { VolumesController } from './volumes.controller';

@Module({
  imports: [CommandsModule, HistoryModule],
  controllers: [VolumesController],
  providers: [CreateVolumeHandler, DeleteVolumeHandler, ListVolumesQuery, VolumeLookup],
})
export class VolumesModule {}
