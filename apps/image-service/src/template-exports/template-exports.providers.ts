// The template-exports context (templates made from volumes and snapshots): what app.module.ts spreads into the image service.
import type { Provider } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { CreateTemplateFromVolumeHandler } from './application/create-template-from-volume.handler';
import { TemplateExportDecisions } from './application/template-export-decisions';
import { TemplateExportOutcomesConsumer } from './application/template-export-outcomes.consumer';
import { TemplateExportsStore } from './infrastructure/template-exports.store';
import { TemplateExports1764700000000 } from './infrastructure/1764700000000-template-exports.migration';

export { CreateTemplateFromVolumeHandler } from './application/create-template-from-volume.handler';

/** Needs the templates context (TemplateCatalog, TemplateEffects), ImageStoreCatalog and PlatformModule's providers. */
export const TEMPLATE_EXPORTS_PROVIDERS: Provider[] = [TemplateExportsStore, TemplateExportDecisions, CreateTemplateFromVolumeHandler, TemplateExportOutcomesConsumer];
export const TEMPLATE_EXPORTS_MIGRATIONS: (new () => MigrationInterface)[] = [TemplateExports1764700000000];
