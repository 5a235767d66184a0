import { Module } from '@nestjs/common';
import { DriverRegistry, PoolSecrets, VolumeHolds } from '@strata/pool-access';
import { PlatformModule } from '@strata/service-kit';
import { SnapshotCommandIntake } from './infrastructure/snapshot-command-intake';
import { SnapshotPolicies } from './policies/application/snapshot-policies';
import { SnapshotBackupSettings } from './settings/application/snapshot-backup-setting.handler';
import { SnapshotBackends } from './snapshots/application/snapshot-backends';
import { SnapshotEffects } from './snapshots/application/snapshot-effects';
import { SnapshotRecovery } from './snapshots/application/snapshot-recovery';
import { SnapshotsOfDeletedVolumes } from './snapshots/application/snapshots-of-deleted-volumes';
import { CreateSnapshotHandler, DeleteSnapshotHandler, RevertToSnapshotHandler, SnapshotCommandRunner } from './snapshots/application/snapshot.handlers';
import { StorageViewLag } from './storage-view/application/storage-view-lag';
import { StorageViewConsumer } from './storage-view/application/storage-view.consumer';
import { StorageView1764300000000 } from './storage-view/infrastructure/1764300000000-storage-view.migration';
import { StorageViewStore } from './storage-view/infrastructure/storage-view.store';
import { DEFAULT_PORT, SCHEMA, SERVICE_NAME } from './snapshot.constants';
import { VmSnapshotEffects } from './vm-snapshots/application/vm-snapshot-effects';
import { VmSnapshotNames } from './vm-snapshots/application/vm-snapshot-names';
import { VmSnapshotRecovery } from './vm-snapshots/application/vm-snapshot-recovery';
import {
  CreateVmSnapshotHandler,
  DeleteVmSnapshotHandler,
  RevertToVmSnapshotHandler,
  VmSnapshotCommandRunner,
} from './vm-snapshots/application/vm-snapshot.handlers';

/**
 * The snapshot service: volume snapshots on primary storage (create, revert, delete), VM
 * (group) snapshots of several volumes at one point in time, and snapshot policies (scheduled
 * snapshots with retention), with its own view of the storage service's pools and volumes.
 */
@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      defaultPort: DEFAULT_PORT,
      schema: SCHEMA,
      topics: [{ key: 'snapshotCommands' }, { key: 'snapshotEvents' }, { key: 'storageEvents' }, { key: 'deadLetter' }],
      migrations: [StorageView1764300000000],
    }),
  ],
  providers: [
    DriverRegistry,
    PoolSecrets,
    VolumeHolds,
    StorageViewStore,
    StorageViewConsumer,
    StorageViewLag,
    SnapshotBackends,
    SnapshotEffects,
    SnapshotRecovery,
    SnapshotsOfDeletedVolumes,
    SnapshotCommandRunner,
    CreateSnapshotHandler,
    DeleteSnapshotHandler,
    RevertToSnapshotHandler,
    VmSnapshotNames,
    VmSnapshotEffects,
    VmSnapshotRecovery,
    VmSnapshotCommandRunner,
    CreateVmSnapshotHandler,
    DeleteVmSnapshotHandler,
    RevertToVmSnapshotHandler,
    SnapshotPolicies,
    SnapshotBackupSettings,
    SnapshotCommandIntake,
  ],
})
export class AppModule {}
