import { Injectable } from '@nestjs/common';
import type { CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import { ProcessDecisions } from '../../infrastructure/process-decisions';
import { backupDecider, backupIds, backupStreamId, commandsFor, type BackupCommand, type BackupEvent, type BackupState } from '../domain/backup';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A backup's decisions (see ProcessDecisions): its catalog rows, refs and step commands. */
@Injectable()
export class BackupDecisions extends ProcessDecisions<BackupState, BackupCommand, BackupEvent> {
  protected readonly decider = backupDecider;

  protected streamId(backupId: string): string {
    return backupStreamId(backupId);
  }

  protected async record(m: EntityManager, event: BackupEvent, state: BackupState, _command: BackupCommand, meta: CommandMeta, now: Date): Promise<void> {
    switch (event.type) {
      case 'BackupRequested': {
        const d = event.data;
        await this.processes.start(m, d.backupId, 'backup', meta);
        await this.processes.recordBackup(m, d.backupId, d.volumeId, d.targetId);
        // The derived volume and snapshot: their events find this backup even without a cause.
        const refs = d.snapshotTaken ? [d.snapshotId] : [];
        await this.processes.addRefs(m, d.backupId, 'backup', [...refs, backupIds.cloneId(d.backupId)]);
        break;
      }
      case 'BackupStepRequested':
        await this.processes.addRefs(m, event.data.backupId, 'backup', [event.data.commandId]);
        await this.send(m, commandsFor(state, event, this.host.hostId), meta, now);
        break;
      case 'BackupCompleted':
        await this.processes.backupStatus(m, event.data.backupId, 'completed', now);
        break;
      case 'BackupFailed':
        await this.processes.backupStatus(m, event.data.backupId, 'failed');
        break;
      case 'BackupDeletionRequested':
        await this.processes.backupStatus(m, event.data.backupId, 'deleting');
        break;
      case 'BackupDeleted':
        await this.processes.backupStatus(m, event.data.backupId, 'deleted');
        break;
      case 'BackupImported': {
        const d = event.data;
        await this.processes.start(m, d.backupId, 'backup', meta);
        // In the catalog like a backup made here (a chain's parent, the target's backups), if its volume id fits the column.
        if (UUID.test(d.volumeId)) {
          await this.processes.recordBackup(m, d.backupId, d.volumeId, d.targetId);
          await this.processes.backupStatus(m, d.backupId, 'completed', new Date(d.createdAt));
        }
        break;
      }
      default:
        break;
    }
  }
}
