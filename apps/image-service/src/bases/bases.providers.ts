// The bases context (cached template bases on pools): what app.module.ts spreads into the image service.
import type { Provider } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { BaseDecisions } from './application/base-decisions';
import { BaseOutcomesConsumer } from './application/base-outcomes.consumer';
import { SpoolTemplateHandler } from './application/spool-template.handler';
import { TemplateBases } from './application/template-bases';
import { BasesStore } from './infrastructure/bases.store';
import { TemplateBases1764600000000 } from './infrastructure/1764600000000-template-bases.migration';

export { SpoolTemplateHandler } from './application/spool-template.handler';
export { TemplateBases } from './application/template-bases';

/** Needs TemplateSources (the templates context) and PlatformModule's providers. */
export const BASES_PROVIDERS: Provider[] = [BasesStore, BaseDecisions, SpoolTemplateHandler, TemplateBases, BaseOutcomesConsumer];
export const BASES_MIGRATIONS: (new () => MigrationInterface)[] = [TemplateBases1764600000000];
