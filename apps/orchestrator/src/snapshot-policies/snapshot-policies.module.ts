import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { VolumesModule } from '../volumes/volumes.module';
import { SnapshotPoliciesController, VolumeSnapshotPoliciesController } from './api/snapshot-policies.controller';
import { ListSnapshotPoliciesQuery } from './application/list-snapshot-policies.query';
import { SnapshotPolicyCommandsHandler } from './application/snapshot-policy-commands.handler';
import { SnapshotPolicyLookup } from './application/snapshot-policy-lookup';

/** Snapshot policies: their commands go to the snapshot service, their view comes from its events. */
@Module({
  imports: [CommandsModule, HistoryModule, VolumesModule],
  controllers: [SnapshotPoliciesController, VolumeSnapshotPoliciesController],
  providers: [SnapshotPolicyCommandsHandler, ListSnapshotPoliciesQuery, SnapshotPolicyLookup],
})
export class SnapshotPoliciesModule {}
