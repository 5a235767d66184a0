import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { HistoryModule } from '../history/history.module';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { VolumesModule } from '../volumes/volumes.module';
import { TemplateFromVolumeController } from './api/template-from-volume.controller';
import { TemplatesController } from './api/templates.controller';
import { DeployTemplateVolumeHandler } from './application/deploy-template-volume.handler';
import { GetTemplateQuery } from './application/get-template.query';
import { ListTemplatesQuery } from './application/list-templates.query';
import { TemplateCommandsHandler } from './application/template-commands.handler';
import { TemplateFromVolumeHandler } from './application/template-from-volume.handler';
import { TemplateLookup } from './application/template-lookup';
import { IMAGE_SERVICE_URL, imageServiceUrlFromEnv } from './infrastructure/image-service-url';

/** Templates and ISOs: their commands go to the image service, their view comes from its events; ROOT volumes are deployed from them by the deploy saga; templates are made from volumes and snapshots. */
@Module({
  imports: [CommandsModule, HistoryModule, DeploymentsModule, VolumesModule, SnapshotsModule],
  controllers: [TemplatesController, TemplateFromVolumeController],
  providers: [
    // Read at start: a bad STRATA_IMAGE_SERVICE_URL stops the orchestrator there.
    { provide: IMAGE_SERVICE_URL, useFactory: () => imageServiceUrlFromEnv() },
    TemplateCommandsHandler,
    DeployTemplateVolumeHandler,
    GetTemplateQuery,
    ListTemplatesQuery,
    TemplateLookup,
    TemplateFromVolumeHandler,
  ],
})
export class TemplatesModule {}
