import { commandMeta } from '@strata/service-kit';
import { Injectable } from '@nestjs/common';
import type { Envelope, ReconcilePoolData } from '@strata/contracts';
import { CONSUMER_GROUP } from '../../storage.constants';
import type { DriftEvent } from '../domain/drift';
import { Reconciler } from './reconciler';

/**
 * ReconcilePool (aggregate: the pool): compare now rather than at the next round. It
 * always records PoolDriftDetected or PoolDriftCleared, so its job ends with the finding.
 */
@Injectable()
export class ReconcilePoolHandler {
  constructor(private readonly reconciler: Reconciler) {}

  handle(command: Envelope<'ReconcilePool', ReconcilePoolData>): Promise<DriftEvent[]> {
    return this.reconciler.reconcile(command.aggregateId, {
      onDemand: true,
      meta: commandMeta(command),
      inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
    });
  }
}
