import type { PlatformOptions } from '@strata/service-kit';
import { readModelEntities } from './read-model/infrastructure/read-model.entities';
import { ReadModels1763800000000 } from './read-model/infrastructure/1763800000000-read-models.migration';
import { PoolLifecycle1763900000000 } from './read-model/infrastructure/1763900000000-pool-lifecycle.migration';
import { VolumeOperations1764000000000 } from './read-model/infrastructure/1764000000000-volume-operations.migration';
import { MigrationMaintenance1764100000000 } from './read-model/infrastructure/1764100000000-migration-maintenance.migration';
import { Snapshots1764200000000 } from './read-model/infrastructure/1764200000000-snapshots.migration';
import { SnapshotPolicies1764300000000 } from './read-model/infrastructure/1764300000000-snapshot-policies.migration';
import { VmSnapshots1764400000000 } from './read-model/infrastructure/1764400000000-vm-snapshots.migration';
import { Images1764500000000 } from './read-model/infrastructure/1764500000000-images.migration';
import { TemplateSources1764710000000 } from './read-model/infrastructure/1764710000000-template-sources.migration';
import { Backups1765200000000 } from './read-model/infrastructure/1765200000000-backups.migration';
import { ORCHESTRATOR_SCHEMA } from './read-model/infrastructure/schema';
import { ApiKeyEntity } from './auth/infrastructure/api-key.entity';
import { ApiKeys1765300000000 } from './auth/infrastructure/1765300000000-api-keys.migration';
import { ReadModelRebuild1765310000000 } from './read-models/infrastructure/1765310000000-read-model-rebuild.migration';
import { JobsList1765320000000 } from './jobs/infrastructure/1765320000000-jobs-list.migration';
import { Topology1765330000000 } from './topology/infrastructure/1765330000000-topology.migration';
import { VolumeUsageChangedAt1765340000000 } from './read-model/infrastructure/1765340000000-volume-usage-changed-at.migration';

export const SERVICE_NAME = 'orchestrator';
export const DEFAULT_PORT = 8080;

/** Everything PlatformModule needs to know about this service, in one place. */
export const platformOptions: PlatformOptions = {
  serviceName: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  schema: ORCHESTRATOR_SCHEMA,
  entities: [...readModelEntities, ApiKeyEntity],
  migrations: [ReadModels1763800000000, PoolLifecycle1763900000000, VolumeOperations1764000000000, MigrationMaintenance1764100000000, Snapshots1764200000000, SnapshotPolicies1764300000000, VmSnapshots1764400000000, Images1764500000000, TemplateSources1764710000000, Backups1765200000000, ApiKeys1765300000000, ReadModelRebuild1765310000000, JobsList1765320000000, Topology1765330000000, VolumeUsageChangedAt1765340000000],
  topics: [
    { key: 'storageCommands', partitions: 6 },
    { key: 'storageEvents', partitions: 6 },
    { key: 'snapshotCommands', partitions: 6 },
    { key: 'snapshotEvents', partitions: 6 },
    { key: 'imageCommands', partitions: 6 },
    { key: 'imageEvents', partitions: 6 },
    { key: 'backupCommands', partitions: 6 },
    { key: 'backupEvents', partitions: 6 },
    { key: 'deadLetter', partitions: 1 },
  ],
};
