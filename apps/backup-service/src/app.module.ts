import { Module } from '@nestjs/common';
import { PlatformModule } from '@strata/service-kit';

/**
 * The backup service: backup targets, backups, restores and schedules. This stage gives it its own schema with the
 * event store, its Kafka connection and /health; its aggregates come with their own issue.
 */
@Module({
  imports: [PlatformModule.forService({ serviceName: 'backup-service', defaultPort: 8083, schema: 'backup' })],
})
export class AppModule {}
