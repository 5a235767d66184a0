import 'reflect-metadata';
import { bootstrapService } from '@strata/service-kit';
import { AppModule } from './app.module';

void bootstrapService(AppModule, { serviceName: 'snapshot-service', defaultPort: 8082 });
