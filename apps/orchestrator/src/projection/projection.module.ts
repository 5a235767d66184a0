import { Module } from '@nestjs/common';
import { ProjectStorageEventHandler } from './application/project-storage-event.handler';
import { ReadModelStore } from './infrastructure/read-model.store';
import { StorageEventsConsumer } from './application/storage-events.consumer';

/** Storage events in, read models and jobs out. Everything it needs comes from PlatformModule. */
@Module({ providers: [ReadModelStore, ProjectStorageEventHandler, StorageEventsConsumer] })
export class ProjectionModule {}
