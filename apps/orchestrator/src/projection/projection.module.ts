import { Module } from '@nestjs/common';
import { ProjectStorageEventHandler } from './project-storage-event.handler';
import { ReadModelStore } from './read-model.store';
import { StorageEventsConsumer } from './storage-events.consumer';

/** Storage events in, read models and jobs out. Everything it needs comes from PlatformModule. */
@Module({ providers: [ReadModelStore, ProjectStorageEventHandler, StorageEventsConsumer] })
export class ProjectionModule {}
