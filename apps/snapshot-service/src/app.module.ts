import { Module } from '@nestjs/common';
import { PlatformModule } from '@strata/service-kit';

/**
 * The snapshot service: volume snapshots, VM snapshots and snapshot policies. This stage gives it its own schema with the
 * event store, its Kafka connection and /health; its aggregates come with their own issue.
 */
@Module({
  imports: [PlatformModule.forService({ serviceName: 'snapshot-service', defaultPort: 8082, schema: 'snapshot' })],
})
export class AppModule {}
