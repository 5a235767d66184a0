import 'reflect-metadata';
import { bootstrapService } from '@strata/service-kit';
import { AppModule } from './app.module';
import { DEFAULT_PORT, SERVICE_NAME } from './backup.constants';

void bootstrapService(AppModule, { serviceName: SERVICE_NAME, defaultPort: DEFAULT_PORT });
