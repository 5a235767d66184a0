import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { VolumesModule } from '../volumes/volumes.module';
import { SnapshotsController, VolumeSnapshotsController } from './api/snapshots.controller';
import { ListSnapshotsQuery } from './application/list-snapshots.query';
import { SnapshotCommandsHandler } from './application/snapshot-commands.handler';
import { SnapshotLookup } from './application/snapshot-lookup';

/** Volume snapshots: their commands go to the snapshot service, their view comes from its events. */
@Module({
  imports: [CommandsModule, HistoryModule, VolumesModule],
  controllers: [SnapshotsController, VolumeSnapshotsController],
  providers: [SnapshotCommandsHandler, ListSnapshotsQuery, SnapshotLookup],
  exports: [SnapshotLookup],
})
export class SnapshotsModule {}
