import { Injectable } from '@nestjs/common';
import type { CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import { ProcessDecisions } from '../../infrastructure/process-decisions';
import { restoreCommandsFor, restoreDecider, restoreStreamId, type RestoreCommand, type RestoreEvent, type RestoreState } from '../domain/restore';

/** A restore's decisions (see ProcessDecisions): its refs and step commands. */
@Injectable()
export class RestoreDecisions extends ProcessDecisions<RestoreState, RestoreCommand, RestoreEvent> {
  protected readonly decider = restoreDecider;

  protected streamId(restoreId: string): string {
    return restoreStreamId(restoreId);
  }

  protected async record(m: EntityManager, event: RestoreEvent, state: RestoreState, command: RestoreCommand, meta: CommandMeta, now: Date): Promise<void> {
    if (event.type === 'RestoreRequested') {
      await this.processes.start(m, event.data.restoreId, 'restore', meta);
      // A new volume is ours alone: its events find the restore without a cause. The original is matched by our commands' ids only.
      if (event.data.mode === 'new') await this.processes.addRefs(m, event.data.restoreId, 'restore', [event.data.volumeId]);
    }
    if (event.type === 'RestoreStepRequested') {
      await this.processes.addRefs(m, event.data.restoreId, 'restore', [event.data.commandId]);
      await this.send(m, restoreCommandsFor(state, event, command, this.host.hostId), meta, now);
    }
  }
}
