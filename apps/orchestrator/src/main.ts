import 'reflect-metadata';
import { bootstrapService } from '@strata/service-kit';
import { AppModule } from './app.module';
import { setUpOpenApi } from './http/openapi';
import { DEFAULT_PORT, SERVICE_NAME } from './orchestrator';
import { rebuildBeforeServing } from './read-models/api/startup-rebuild';

void bootstrapService(AppModule, {
  serviceName: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  // With --rebuild-read-models the read models are rebuilt before the app listens.
  configure: async (app) => {
    setUpOpenApi(app);
    await rebuildBeforeServing(app);
  },
});
