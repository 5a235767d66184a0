import { Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { BackupDecisions } from '../application/backup-decisions';
import { ChunkStores } from '../../engine/ports';

/**
 * GET /backups/:id/manifest: a backup's manifest as it is on its target (JSON). This is the
 * export: the manifest is self-describing (volume, size, chunk size, compression, the chunk
 * ids in order), and with the target's chunks it is all another installation needs
 * (ImportBackup), so an operator can look at it or keep a copy.
 */
@Controller('backups')
export class BackupManifestController {
  constructor(
    private readonly decisions: BackupDecisions,
    private readonly stores: ChunkStores,
  ) {}

  @Get(':id/manifest')
  async manifest(@Param('id', new ParseUUIDPipe({ version: 'all' })) backupId: string): Promise<unknown> {
    const state = await this.decisions.load(backupId);
    if (state.status === 'absent' || state.status === 'deleted') throw new NotFoundException(`backup ${backupId} does not exist`);
    const body = await (await this.stores.storeFor(state.targetId)).getManifest(backupId);
    // A failed backup (or a deleting one) may have none.
    if (body === null) throw new NotFoundException(`backup ${backupId} has no manifest on its target (${state.status})`);
    return JSON.parse(body.toString('utf8')) as unknown;
  }
}
