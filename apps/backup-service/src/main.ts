import 'reflect-metadata';
import { bootstrapService } from '@strata/service-kit';
import { AppModule } from './app.module';

void bootstrapService(AppModule, { serviceName: 'backup-service', defaultPort: 8083 });
