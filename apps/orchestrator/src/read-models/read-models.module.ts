import { Module } from '@nestjs/common';
import { ProjectionModule } from '../projection/projection.module';
import { ReadModelsController } from './api/read-models.controller';
import { ProjectionLag } from './application/projection-lag';
import { ProjectionMetrics } from './application/projection-metrics';
import { ReadModelRebuild } from './application/read-model-rebuild';
import { ReadModelsStatusQuery } from './application/read-models-status.query';
import { KafkaOffsets } from './infrastructure/kafka-offsets';

/** The read models' generations: rebuilds from the event topics, their state and the projection's lag. */
@Module({
  imports: [ProjectionModule],
  controllers: [ReadModelsController],
  providers: [ReadModelRebuild, ReadModelsStatusQuery, ProjectionLag, ProjectionMetrics, KafkaOffsets],
})
export class ReadModelsModule {}
