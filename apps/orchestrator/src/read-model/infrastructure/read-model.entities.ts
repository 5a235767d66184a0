import { AggregateEventEntity } from './aggregate-event.entity';
import { JobEntity } from './job.entity';
import { PoolEntity } from './pool.entity';
import { VolumeEntity } from './volume.entity';

export const readModelEntities = [PoolEntity, VolumeEntity, JobEntity, AggregateEventEntity];
