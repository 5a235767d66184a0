import { Module } from '@nestjs/common';
import { ProjectStorageEventHandler } from './application/project-storage-event.handler';
import { ReadModelStore } from './infrastructure/read-model.store';
import { EventTopicsConsumer } from './application/event-topics.consumer';

/** Storage and snapshot events in, read models and jobs out. Everything it needs comes from PlatformModule. */
@Module({ providers: [ReadModelStore, ProjectStorageEventHandler, EventTopicsConsumer] })
export class ProjectionModule {}
