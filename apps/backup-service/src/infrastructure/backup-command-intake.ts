import { Inject, Injectable } from '@nestjs/common';
import { validateBackupCommand, type BackupCommand, type Topics } from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import type { MessageBus } from '@strata/messaging';
import { Clock, IdGenerator, MESSAGE_BUS, ServiceCommandIntake, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../backup.constants';
import { CreateBackupHandler, DeleteBackupHandler, ImportBackupHandler, VerifyBackupHandler } from '../backups/application/backup.handlers';
import { BackupGarbageCollection } from '../garbage/application/garbage-collection';
import { RestoreBackupHandler } from '../restores/application/restore-backup.handler';
import { BackupSchedules } from '../schedules/application/backup-schedules';
import { AddBackupTargetHandler, RemoveBackupTargetHandler } from '../targets/targets.providers';

/**
 * Kafka edge of the backup service: one consumer group on the backup command topic.
 * Unreadable bytes go to the dead-letter topic; invalid or refused commands are answered
 * with CommandRejected on the backup events topic.
 */
@Injectable()
export class BackupCommandIntake extends ServiceCommandIntake<BackupCommand> {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(TOPICS) topics: Topics,
    store: PgEventStore,
    relay: OutboxRelay,
    clock: Clock,
    ids: IdGenerator,
    private readonly addTarget: AddBackupTargetHandler,
    private readonly removeTarget: RemoveBackupTargetHandler,
    private readonly createBackup: CreateBackupHandler,
    private readonly verifyBackup: VerifyBackupHandler,
    private readonly deleteBackup: DeleteBackupHandler,
    private readonly restoreBackup: RestoreBackupHandler,
    private readonly schedules: BackupSchedules,
    private readonly garbage: BackupGarbageCollection,
    private readonly importBackup: ImportBackupHandler,
  ) {
    super(
      { bus, store, relay, clock, ids },
      {
        consumerGroup: CONSUMER_GROUP,
        commandTopic: topics.backupCommands,
        eventsTopic: topics.backupEvents,
        deadLetterTopic: topics.deadLetter,
        validate: validateBackupCommand,
      },
    );
  }

  protected async dispatch(command: BackupCommand): Promise<void> {
    switch (command.type) {
      case 'AddBackupTarget':
        return this.addTarget.handle(command);
      case 'RemoveBackupTarget':
        return this.removeTarget.handle(command);
      case 'CreateBackup':
        return this.createBackup.handle(command);
      case 'VerifyBackup':
        return this.verifyBackup.handle(command);
      case 'DeleteBackup':
        return this.deleteBackup.handle(command);
      case 'RestoreBackup':
        return this.restoreBackup.handle(command);
      case 'CreateBackupSchedule':
        return this.schedules.create(command);
      case 'DeleteBackupSchedule':
        return this.schedules.delete(command);
      case 'CollectBackupGarbage':
        return this.garbage.handle(command);
      case 'ImportBackup':
        return this.importBackup.handle(command);
      default:
        return assertUnreachable(command);
    }
  }
}
