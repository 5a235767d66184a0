import { Injectable } from '@nestjs/common';
import { crashPoint, type CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import { ProcessDecisions, type Inbox } from '../../infrastructure/process-decisions';
import { restoreCommandsFor, restoreDecider, restoreStreamId, type RestoreCommand, type RestoreEvent, type RestoreState } from '../domain/restore';

/** A restore's decisions (see ProcessDecisions): its refs and step commands. */
@Injectable()
export class RestoreDecisions extends ProcessDecisions<RestoreState, RestoreCommand, RestoreEvent> {
  protected readonly decider = restoreDecider;

  override async execute(restoreId: string, command: RestoreCommand, meta: CommandMeta, inbox?: Inbox): Promise<{ events: RestoreEvent[]; state: RestoreState }> {
    const decided = await super.execute(restoreId, command, meta, inbox);
    // Committed: the step's command waits in the outbox, its outcome is not recorded (test-only crash points, docs/sagas.md).
    for (const event of decided.events) {
      const point = stepCrashPoint(event, command);
      if (point) crashPoint(point);
    }
    return decided;
  }

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

/** The crash point after the commit of a decided step: the volume asked for, the data written (detach asked for), a compensation. */
function stepCrashPoint(event: RestoreEvent, command: RestoreCommand): string | null {
  if (event.type !== 'RestoreStepRequested') return null;
  if (event.data.step === 'create') return 'restore.after-volume-requested';
  if (event.data.step === 'delete') return 'restore.after-compensation-requested';
  if (event.data.step === 'detach' && command.type === 'RecordDataWritten') return 'restore.after-data-written';
  return null;
}
