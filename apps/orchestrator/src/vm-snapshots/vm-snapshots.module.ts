import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { VolumesModule } from '../volumes/volumes.module';
import { VmSnapshotsController } from './api/vm-snapshots.controller';
import { ListVmSnapshotsQuery } from './application/list-vm-snapshots.query';
import { VmSnapshotCommandsHandler } from './application/vm-snapshot-commands.handler';
import { VmSnapshotLookup } from './application/vm-snapshot-lookup';

/** VM snapshots: their commands go to the snapshot service, their view comes from its events. */
@Module({
  imports: [CommandsModule, HistoryModule, VolumesModule],
  controllers: [VmSnapshotsController],
  providers: [VmSnapshotCommandsHandler, ListVmSnapshotsQuery, VmSnapshotLookup],
})
export class VmSnapshotsModule {}
