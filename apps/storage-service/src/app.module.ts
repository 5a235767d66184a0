import { Module } from '@nestjs/common';
import { PlatformModule } from '@strata/service-kit';
import { AddStoragePoolHandler } from './pools/application/add-storage-pool.handler';
import { PoolReader } from './pools/application/pool-reader';
import { CreateVolumeHandler } from './volumes/application/create-volume.handler';
import { DeleteVolumeHandler } from './volumes/application/delete-volume.handler';
import { VolumeEffects } from './volumes/application/volume-effects';
import { VolumeRecovery } from './volumes/application/volume-recovery';
import { DriverRegistry } from './infrastructure/driver-registry';
import { StorageCommandIntake } from './infrastructure/storage-command-intake';
import { DEFAULT_PORT, SCHEMA, SERVICE_NAME } from './storage.constants';

@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      defaultPort: DEFAULT_PORT,
      schema: SCHEMA,
      topics: [{ key: 'storageCommands' }, { key: 'storageEvents' }, { key: 'deadLetter' }],
    }),
  ],
  providers: [
    DriverRegistry,
    PoolReader,
    AddStoragePoolHandler,
    CreateVolumeHandler,
    DeleteVolumeHandler,
    VolumeEffects,
    VolumeRecovery,
    StorageCommandIntake,
  ],
})
export class AppModule {}
