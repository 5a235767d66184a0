import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IntentRecovery, type RecoveryOutcome } from '@strata/service-kit';
import { TEMPLATE_STREAM_PREFIX, TRANSITIONAL_TEMPLATE_EVENTS } from '../domain/template';
import { TemplateEffects } from './template-effects';

/**
 * Finishes what a crash left half done, at start and every sweep: a download resumes from
 * its partial file, a copy is made again, a deletion deletes again. Outcomes are recorded
 * under the intent's causation (TemplateCatalog finds it), so the original job ends. An
 * upload is left waiting: only its sender has the bytes.
 */
@Injectable()
export class TemplateRecovery extends IntentRecovery {
  constructor(
    store: PgEventStore,
    clock: Clock,
    private readonly effects: TemplateEffects,
  ) {
    super(store, clock, { noun: 'template', streamPrefix: TEMPLATE_STREAM_PREFIX, transitional: TRANSITIONAL_TEMPLATE_EVENTS });
  }

  protected finish(templateId: string): Promise<RecoveryOutcome> {
    return this.effects.start(templateId);
  }
}
