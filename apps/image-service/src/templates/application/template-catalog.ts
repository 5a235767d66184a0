import { Injectable } from '@nestjs/common';
import { fold } from '@strata/kernel';
import { PgEventStore } from '@strata/event-store';
import type { CommandMeta } from '@strata/service-kit';
import { storesHolding, TEMPLATE_STREAM_PREFIX, templateDecider, templateStreamId, type PresentTemplate, type TemplateEvent, type TemplateState } from '../domain/template';

/** Events that start background work; its outcome is recorded under the same causation (the same job). */
const INTENTS = new Set(['TemplateRegistrationRequested', 'TemplateCopyRequested', 'TemplateDeletionRequested']);

export interface LoadedTemplate {
  readonly state: TemplateState;
  /** The metadata of the newest intent, for its outcome; null with no intent. */
  readonly intent: CommandMeta | null;
}

/** Templates, read from the log. */
@Injectable()
export class TemplateCatalog {
  constructor(private readonly store: PgEventStore) {}

  async load(templateId: string): Promise<LoadedTemplate> {
    const stored = await this.store.readStream(templateStreamId(templateId));
    const state = fold(
      templateDecider,
      stored.map((s) => ({ type: s.envelope.type, data: s.envelope.data }) as TemplateEvent),
    );
    const last = [...stored].reverse().find((s) => INTENTS.has(s.envelope.type))?.envelope;
    const intent = last ? { causationId: last.causationId ?? last.messageId, correlationId: last.correlationId, tenant: last.tenant } : null;
    return { state, intent };
  }

  /**
   * Templates with a file on the store or one being written to it. Reads every template
   * stream: fine for thousands; a table of its own would be the next step beyond that.
   */
  async holdingFilesOn(imageStoreId: string): Promise<string[]> {
    const ids = await this.store.streamIds(TEMPLATE_STREAM_PREFIX);
    const held: string[] = [];
    for (const streamId of ids) {
      const { state } = await this.load(streamId.slice(TEMPLATE_STREAM_PREFIX.length));
      if (state.status !== 'absent' && storesHolding(state as PresentTemplate).includes(imageStoreId)) held.push(state.templateId);
    }
    return held;
  }
}
