import { Module } from '@nestjs/common';
import { PlatformModule } from '@strata/service-kit';
import { BASES_MIGRATIONS, BASES_PROVIDERS } from './bases/bases.providers';
import { TEMPLATE_EXPORTS_MIGRATIONS, TEMPLATE_EXPORTS_PROVIDERS } from './template-exports/template-exports.providers';
import { DEFAULT_PORT, SCHEMA, SERVICE_NAME } from './image.constants';
import { ImageStoreCatalog } from './image-stores/application/image-store-catalog';
import { AddImageStoreHandler, ImageStoreCommandRunner, RemoveImageStoreHandler } from './image-stores/application/image-store.handlers';
import { ImageCommandIntake } from './infrastructure/image-command-intake';
import { TemplateUploadController } from './templates/api/template-upload.controller';
import { TemplateCatalog } from './templates/application/template-catalog';
import { TemplateCommandRunner } from './templates/application/template-command-runner';
import { TemplateEffects } from './templates/application/template-effects';
import { TemplateJobs } from './templates/application/template-jobs';
import { TemplateRecovery } from './templates/application/template-recovery';
import { TemplateSources } from './templates/application/template-sources';
import { TemplateSourcesFromLog } from './templates/application/template-sources-from-log';
import { TemplateUploads } from './templates/application/template-uploads';
import { CopyTemplateHandler, DeleteTemplateHandler, RegisterTemplateHandler, UpdateTemplateHandler } from './templates/application/template.handlers';

/**
 * The image service: image stores (a directory per zone), templates and ISOs on them
 * (downloaded or uploaded, verified with qemu-img, copied between zones), and spooling
 * templates onto primary storage pools as cached bases (bases/); templates made from volumes and
 * snapshots through the storage service's exports (template-exports/).
 */
@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      defaultPort: DEFAULT_PORT,
      schema: SCHEMA,
      topics: [
        { key: 'imageCommands' },
        { key: 'imageEvents' },
        { key: 'storageCommands' },
        { key: 'storageEvents' },
        { key: 'snapshotCommands' },
        { key: 'snapshotEvents' },
        { key: 'deadLetter' },
      ],
      // The image stores and templates are read from the log; no table of their own.
      migrations: [...BASES_MIGRATIONS, ...TEMPLATE_EXPORTS_MIGRATIONS],
    }),
  ],
  controllers: [TemplateUploadController],
  providers: [
    ImageStoreCatalog,
    ImageStoreCommandRunner,
    AddImageStoreHandler,
    RemoveImageStoreHandler,
    TemplateCatalog,
    TemplateCommandRunner,
    TemplateJobs,
    TemplateEffects,
    TemplateRecovery,
    TemplateUploads,
    RegisterTemplateHandler,
    UpdateTemplateHandler,
    DeleteTemplateHandler,
    CopyTemplateHandler,
    { provide: TemplateSources, useClass: TemplateSourcesFromLog },
    ...BASES_PROVIDERS,
    ...TEMPLATE_EXPORTS_PROVIDERS,
    ImageCommandIntake,
  ],
})
export class AppModule {}
