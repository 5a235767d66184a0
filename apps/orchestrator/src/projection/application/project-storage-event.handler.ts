import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { DeploymentProcess } from '../../deployments/application/deployment-process';
import { PROJECTION_CONSUMER, projectedBeforeConsumer } from '../domain/generation';
import { needsPoolUsage, projectEvent, projectionTargets } from '../domain/project-event';
import { GenerationStore } from '../infrastructure/generation.store';
import { ReadModelStore } from '../infrastructure/read-model.store';
import type { ReceivedEvent } from '../domain/storage-event';

export { PROJECTION_CONSUMER } from '../domain/generation';

/** A consumer of a generation that a rebuild has replaced: it must stop, not write. */
export class StaleGenerationError extends Error {
  constructor(readonly consumed: number, readonly current: number) {
    super(`read models are at generation ${current}; this consumer projects generation ${consumed}`);
  }
}

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
    private readonly generations: GenerationStore,
  ) {}

  /**
   * False when the event was already projected (a redelivery). `generation` is the one the
   * calling consumer group projects for: a group a rebuild replaced (on this instance or
   * another) is refused, so nothing it reads lands in the emptied tables.
   */
  async handle(event: ReceivedEvent, generation: number): Promise<boolean> {
    let sagasMoved = false;
    const projected = await this.store.transaction(async (m) => {
      const current = await this.generations.fenceShared(m);
      if (current.generation !== generation) throw new StaleGenerationError(generation, current.generation);
      if (!(await this.store.claim(m, PROJECTION_CONSUMER, event.envelope.messageId))) return false;
      const view = await this.readModels.load(m, projectionTargets(event), needsPoolUsage(event));
      await this.readModels.save(m, view, projectEvent(view, event));
      // A rebuild replays events the sagas already reacted to (the generation it replaced
      // projected them, in the same transaction as the reaction): those must not move a saga
      // or send its commands again. Events that generation never projected (it lagged, or they
      // are new) are reacted to as always, or a saga waiting on one would wait forever.
      const reactedBefore = current.state === 'rebuilding' && (await this.store.isHandled(projectedBeforeConsumer(generation), event.envelope.messageId, m));
      if (!reactedBefore) sagasMoved = await this.deployments.react(m, event);
      return true;
    });
    if (sagasMoved) this.deployments.kick();
    return projected;
  }
}
