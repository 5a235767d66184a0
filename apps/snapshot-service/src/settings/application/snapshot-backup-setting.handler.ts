import { Inject, Injectable } from '@nestjs/common';
import type { Envelope, SetSnapshotBackupData, Topics } from '@strata/contracts';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../snapshot.constants';
import { StorageViewStore } from '../../storage-view/infrastructure/storage-view.store';
import { backupSettingDecider, backupSettingStreamId, type BackupSettingCommand } from '../domain/snapshot-backup-setting';

/** SetSnapshotBackup (aggregate: the volume), and the setting as a snapshot reads it. */
@Injectable()
export class SnapshotBackupSettings {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly view: StorageViewStore,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'SetSnapshotBackup', SetSnapshotBackupData>): Promise<void> {
    const volumeId = command.aggregateId;
    const volume = await this.view.volume(volumeId);
    const decide = (): BackupSettingCommand => ({
      type: 'SetSnapshotBackup',
      volumeId,
      backupSnapshots: command.data.backupSnapshots,
      volumeStatus: volume?.status ?? null,
    });
    await this.runner.execute(backupSettingDecider, backupSettingStreamId(volumeId), volumeId, decide, commandMeta(command), { outboxTopic: this.topics.snapshotEvents, inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId } });
  }

  async backupSnapshots(volumeId: string): Promise<boolean> {
    return (await this.runner.load(backupSettingDecider, backupSettingStreamId(volumeId))).state.backupSnapshots;
  }
}
