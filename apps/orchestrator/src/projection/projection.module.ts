import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { ProjectStorageEventHandler } from './application/project-storage-event.handler';
import { ProjectionProgress } from './application/projection-progress';
import { GenerationStore } from './infrastructure/generation.store';
import { ReadModelStore } from './infrastructure/read-model.store';
import { EventTopicsConsumer } from './application/event-topics.consumer';

/**
 * Storage, snapshot and image events in, read models and jobs out (and the deploy sagas moved).
 * The rest comes from PlatformModule. The read-models context drives its generations (rebuilds).
 */
@Module({
  imports: [DeploymentsModule],
  providers: [ReadModelStore, ProjectStorageEventHandler, EventTopicsConsumer, GenerationStore, ProjectionProgress],
  exports: [EventTopicsConsumer, GenerationStore, ProjectionProgress],
})
export class ProjectionModule {}
