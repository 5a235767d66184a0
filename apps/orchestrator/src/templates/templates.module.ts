import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { HistoryModule } from '../history/history.module';
import { TemplatesController } from './api/templates.controller';
import { DeployTemplateVolumeHandler } from './application/deploy-template-volume.handler';
import { GetTemplateQuery } from './application/get-template.query';
import { ListTemplatesQuery } from './application/list-templates.query';
import { TemplateCommandsHandler } from './application/template-commands.handler';
import { TemplateLookup } from './application/template-lookup';
import { IMAGE_SERVICE_URL, imageServiceUrlFromEnv } from './infrastructure/image-service-url';

/** Templates and ISOs: their commands go to the image service, their view comes from its events; ROOT volumes are deployed from them by the deploy saga. */
@Module({
  imports: [CommandsModule, HistoryModule, DeploymentsModule],
  controllers: [TemplatesController],
  providers: [
    // Read at start: a bad STRATA_IMAGE_SERVICE_URL stops the orchestrator there.
    { provide: IMAGE_SERVICE_URL, useFactory: () => imageServiceUrlFromEnv() },
    TemplateCommandsHandler,
    DeployTemplateVolumeHandler,
    GetTemplateQuery,
    ListTemplatesQuery,
    TemplateLookup,
  ],
})
export class TemplatesModule {}
