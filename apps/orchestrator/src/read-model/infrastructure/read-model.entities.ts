import { AggregateEventEntity } from './aggregate-event.entity';
import { BackupEntity, BackupScheduleEntity, BackupTargetEntity, RestoreEntity } from './backup.entities';
import { DeploymentEntity } from './deployment.entity';
import { HostEntity } from './host.entity';
import { ImageStoreEntity } from './image-store.entity';
import { JobEntity } from './job.entity';
import { PoolDriftEntity } from './pool-drift.entity';
import { PoolEntity } from './pool.entity';
import { SnapshotPolicyEntity } from './snapshot-policy.entity';
import { SnapshotEntity } from './snapshot.entity';
import { TemplateBaseEntity } from './template-base.entity';
import { TemplateEntity } from './template.entity';
import { VmSnapshotEntity } from './vm-snapshot.entity';
import { VolumeEntity } from './volume.entity';

export const readModelEntities = [PoolEntity, VolumeEntity, JobEntity, AggregateEventEntity, HostEntity, PoolDriftEntity, SnapshotEntity, SnapshotPolicyEntity, VmSnapshotEntity, ImageStoreEntity, TemplateEntity, TemplateBaseEntity, DeploymentEntity, BackupTargetEntity, BackupEntity, RestoreEntity, BackupScheduleEntity];
