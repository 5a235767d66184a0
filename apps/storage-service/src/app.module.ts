import { Module } from '@nestjs/common';
import { PlatformModule } from '@strata/service-kit';
import { AddStoragePoolHandler } from './pools/application/add-storage-pool.handler';
import { PoolReader } from './pools/application/pool-reader';
import { PoolVolumes } from './pools/application/pool-volumes';
import { PoolCatalog } from './allocation/application/pool-catalog';
import { PoolLedger } from './reconciliation/application/pool-ledger';
import { OrphanRemoval } from './reconciliation/application/orphan-removal';
import { Reconciler } from './reconciliation/application/reconciler';
import { ReconcilePoolHandler } from './reconciliation/application/reconcile-pool.handler';
import { RemoveOrphanHandler } from './reconciliation/application/remove-orphan.handler';
import { ManageVolumeHandler } from './reconciliation/application/manage-volume.handler';
import { DeregisterHostHandler, HostAttachments, HostReader, RegisterHostHandler } from './hosts/application/host.handlers';
import {
  AttachVolumeHandler,
  ChangeVolumeQosHandler,
  DetachVolumeHandler,
  ResizeVolumeHandler,
  VolumeCommandRunner,
} from './volumes/application/volume-operations.handlers';
import { PoolCapacityRefresher } from './pools/application/pool-capacity-refresher';
import {
  DeleteStoragePoolHandler,
  DisableStoragePoolHandler,
  EnableStoragePoolHandler,
  PoolCommandRunner,
  RefreshPoolCapacityHandler,
  UpdateStoragePoolHandler,
} from './pools/application/pool-lifecycle.handlers';
import { CreateVolumeHandler } from './volumes/application/create-volume.handler';
import { DeleteVolumeHandler } from './volumes/application/delete-volume.handler';
import { VolumeEffects } from './volumes/application/volume-effects';
import { VolumeRecovery } from './volumes/application/volume-recovery';
import { PoolSecrets1763900000000 } from './pools/infrastructure/1763900000000-pool-secrets.migration';
import { DriverRegistry, PoolSecrets, VolumeHolds } from '@strata/pool-access';
import { StorageCommandIntake } from './infrastructure/storage-command-intake';
import { PoolMaintenance } from './maintenance/application/pool-maintenance';
import { MigrateVolumeHandler } from './volumes/application/migrate-volume.handler';
import { MigrationPlanner } from './volumes/application/migration-planner';
import { VolumeMigrations } from './volumes/application/volume-migrations';
import { VolumesOnPool } from './volumes/application/volumes-on-pool';
import { AllocationLock } from './allocation/application/allocation-lock';
import { ExportVolumeHandler } from './exports/application/export-volume.handler';
import { VolumeExportEffects } from './exports/application/volume-export-effects';
import { VolumeExportRecovery } from './exports/application/volume-export-recovery';
import { DEFAULT_PORT, SCHEMA, SERVICE_NAME } from './storage.constants';

@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      defaultPort: DEFAULT_PORT,
      schema: SCHEMA,
      topics: [{ key: 'storageCommands' }, { key: 'storageEvents' }, { key: 'deadLetter' }],
      migrations: [PoolSecrets1763900000000],
    }),
  ],
  providers: [
    DriverRegistry,
    PoolSecrets,
    PoolReader,
    PoolVolumes,
    PoolCatalog,
    PoolLedger,
    OrphanRemoval,
    Reconciler,
    ReconcilePoolHandler,
    RemoveOrphanHandler,
    ManageVolumeHandler,
    PoolCommandRunner,
    UpdateStoragePoolHandler,
    EnableStoragePoolHandler,
    DisableStoragePoolHandler,
    DeleteStoragePoolHandler,
    RefreshPoolCapacityHandler,
    PoolCapacityRefresher,
    HostReader,
    HostAttachments,
    RegisterHostHandler,
    DeregisterHostHandler,
    VolumeCommandRunner,
    ResizeVolumeHandler,
    AttachVolumeHandler,
    DetachVolumeHandler,
    ChangeVolumeQosHandler,
    AddStoragePoolHandler,
    CreateVolumeHandler,
    DeleteVolumeHandler,
    VolumeEffects,
    VolumeRecovery,
    VolumesOnPool,
    AllocationLock,
    VolumeHolds,
    MigrationPlanner,
    VolumeMigrations,
    MigrateVolumeHandler,
    PoolMaintenance,
    VolumeExportEffects,
    VolumeExportRecovery,
    ExportVolumeHandler,
    StorageCommandIntake,
  ],
})
export class AppModule {}
