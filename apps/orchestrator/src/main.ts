import 'reflect-metadata';
import { bootstrapService } from '@strata/service-kit';
import { AppModule } from './app.module';
import { setUpOpenApi } from './http/openapi';
import { DEFAULT_PORT, SERVICE_NAME } from './orchestrator';

void bootstrapService(AppModule, { serviceName: SERVICE_NAME, defaultPort: DEFAULT_PORT, configure: setUpOpenApi });
