import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PlatformModule } from '@strata/service-kit';
import { AuthModule } from './auth/auth.module';
import { BackupsModule } from './backups/backups.module';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { ImageStoresModule } from './image-stores/image-stores.module';
import { HostsModule } from './hosts/hosts.module';
import { JobsModule } from './jobs/jobs.module';
import { platformOptions } from './orchestrator';
import { PluginsModule } from './plugins/plugins.module';
import { PoolsModule } from './pools/pools.module';
import { ProjectionModule } from './projection/projection.module';
import { ReadModelsModule } from './read-models/read-models.module';
import { TopologyModule } from './topology/topology.module';
import { SnapshotPoliciesModule } from './snapshot-policies/snapshot-policies.module';
import { SnapshotsModule } from './snapshots/snapshots.module';
import { TemplatesModule } from './templates/templates.module';
import { VmSnapshotsModule } from './vm-snapshots/vm-snapshots.module';
import { VolumesModule } from './volumes/volumes.module';

@Module({
  imports: [PlatformModule.forService(platformOptions), AuthModule, ProjectionModule, PluginsModule, PoolsModule, VolumesModule, SnapshotsModule, SnapshotPoliciesModule, VmSnapshotsModule, ImageStoresModule, TemplatesModule, HostsModule, BackupsModule, JobsModule, ReadModelsModule, TopologyModule],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
})
export class AppModule {}
