import { Module } from '@nestjs/common';
import { PlatformModule } from '@strata/service-kit';

/**
 * The image service: templates, ISOs, image stores and spooling onto pools. This stage gives it its own schema with the
 * event store, its Kafka connection and /health; its aggregates come with their own issue.
 */
@Module({
  imports: [PlatformModule.forService({ serviceName: 'image-service', defaultPort: 8084, schema: 'image' })],
})
export class AppModule {}
