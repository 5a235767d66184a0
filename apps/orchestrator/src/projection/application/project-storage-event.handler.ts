import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { DeploymentProcess } from '../../deployments/application/deployment-process';
import { needsPoolUsage, projectEvent, projectionTargets } from '../domain/project-event';
import { ReadModelStore } from '../infrastructure/read-model.store';
import type { ReceivedEvent } from '../domain/storage-event';

export const PROJECTION_CONSUMER = 'orchestrator-projections';

/**
 * Projects one event (storage, snapshot or image), exactly once: the inbox claim commits with
 * the read models, and with the deploy sagas' reaction to it (their events and next commands).
 */
@Injectable()
export class ProjectStorageEventHandler {
  constructor(
    private readonly store: PgEventStore,
    private readonly readModels: ReadModelStore,
    private readonly deployments: DeploymentProcess,
  ) {}

  /** False when the event was already projected (a redelivery). */
  async handle(event: ReceivedEvent): Promise<boolean> {
    let sagasMoved = false;
    const projected = await this.store.transaction(async (m) => {
      if (!(await this.store.claim(m, PROJECTION_CONSUMER, event.envelope.messageId))) return false;
      const view = await this.readModels.load(m, projectionTargets(event), needsPoolUsage(event));
      await this.readModels.save(m, view, projectEvent(view, event));
      sagasMoved = await this.deployments.react(m, event);
      return true;
    });
    if (sagasMoved) this.deployments.kick();
    return projected;
  }
}
