import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { needsPoolUsage, projectEvent, projectionTargets } from '../domain/project-event';
import { ReadModelStore } from '../infrastructure/read-model.store';
import type { ReceivedEvent } from '../domain/storage-event';

export const PROJECTION_CONSUMER = 'orchestrator-projections';

/** Projects one event (storage or snapshot), exactly once: the inbox claim commits with the read models. */
@Injectable()
export class ProjectStorageEventHandler {
  constructor(
    private readonly store: PgEventStore,
    private readonly readModels: ReadModelStore,
  ) {}

  /** False when the event was already projected (a redelivery). */
  async handle(event: ReceivedEvent): Promise<boolean> {
    return this.store.transaction(async (m) => {
      if (!(await this.store.claim(m, PROJECTION_CONSUMER, event.envelope.messageId))) return false;
      const view = await this.readModels.load(m, projectionTargets(event), needsPoolUsage(event));
      await this.readModels.save(m, view, projectEvent(view, event));
      return true;
    });
  }
}
