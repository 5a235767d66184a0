import { Injectable } from '@nestjs/common';
import type { Envelope, RestoreBackupData } from '@strata/contracts';
import { commandMeta } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../backup.constants';
import { BackupDecisions } from '../../backups/application/backup-decisions';
import { BackupHost } from '../../infrastructure/backup-host';
import { VolumeViewStore } from '../../volume-view/infrastructure/volume-view.store';
import { RestoreDecisions } from './restore-decisions';

/** RestoreBackup: the backup (its own stream) and, over the original, the volume's view; then the request and its first step in one transaction. */
@Injectable()
export class RestoreBackupHandler {
  constructor(
    private readonly decisions: RestoreDecisions,
    private readonly backups: BackupDecisions,
    private readonly view: VolumeViewStore,
    private readonly host: BackupHost,
  ) {}

  async handle(command: Envelope<'RestoreBackup', RestoreBackupData>): Promise<void> {
    const restoreId = command.aggregateId;
    const { backupId, overOriginal, poolId, name } = command.data;
    const backup = await this.backups.load(backupId);
    const original = overOriginal && backup.status !== 'absent' ? await this.view.volume(backup.volumeId) : null;
    await this.decisions.execute(
      restoreId,
      {
        type: 'RestoreBackup',
        restoreId,
        backupId,
        overOriginal: overOriginal === true,
        ...(poolId !== undefined ? { poolId } : {}),
        ...(name !== undefined ? { name } : {}),
        backup:
          backup.status === 'absent'
            ? { backupId, status: 'absent', volumeId: '', sizeBytes: 0 }
            : { backupId, status: backup.status, volumeId: backup.volumeId, sizeBytes: backup.sizeBytes },
        original: original ? { volumeId: original.volumeId, poolId: original.poolId, deleted: original.deleted, hostIds: original.hostIds } : null,
        hostId: this.host.hostId,
      },
      commandMeta(command),
      { consumer: CONSUMER_GROUP, messageId: command.messageId },
    );
  }
}
