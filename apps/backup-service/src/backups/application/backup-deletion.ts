import { Injectable } from '@nestjs/common';
import type { CommandMeta } from '@strata/service-kit';
import { ChunkStores } from '../../engine/ports';
import { BackupDecisions } from './backup-decisions';

/**
 * The second half of DeleteBackup: the manifest goes, then BackupDeleted. The chunks stay
 * for a garbage collection that deletes those no manifest lists.
 */
@Injectable()
export class BackupDeletion {
  constructor(
    private readonly decisions: BackupDecisions,
    private readonly stores: ChunkStores,
  ) {}

  async finish(backupId: string, meta: CommandMeta): Promise<void> {
    const state = await this.decisions.load(backupId);
    if (state.status !== 'deleting') return;
    const store = await this.stores.storeFor(state.targetId);
    // A failed backup may have no manifest; deleting one is repeatable.
    if ((await store.getManifest(backupId)) !== null) await store.deleteManifest(backupId);
    await this.decisions.execute(backupId, { type: 'RecordManifestDeleted' }, meta);
  }
}
