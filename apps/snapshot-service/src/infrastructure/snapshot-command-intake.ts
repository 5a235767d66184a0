import { Inject, Injectable } from '@nestjs/common';
import { validateSnapshotCommand, type SnapshotCommand, type Topics } from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import type { MessageBus } from '@strata/messaging';
import { Clock, IdGenerator, MESSAGE_BUS, ServiceCommandIntake, TOPICS } from '@strata/service-kit';
import { CreateSnapshotHandler, DeleteSnapshotHandler, RevertToSnapshotHandler } from '../snapshots/application/snapshot.handlers';
import { SnapshotPolicies } from '../policies/application/snapshot-policies';
import { SnapshotBackupSettings } from '../settings/application/snapshot-backup-setting.handler';
import { CONSUMER_GROUP } from '../snapshot.constants';
import { CreateVmSnapshotHandler, DeleteVmSnapshotHandler, RevertToVmSnapshotHandler } from '../vm-snapshots/application/vm-snapshot.handlers';

/**
 * Kafka edge of the snapshot service: one consumer group on the snapshot command topic.
 * Unreadable bytes go to the dead-letter topic; invalid or refused commands are answered
 * with CommandRejected on the snapshot events topic.
 */
@Injectable()
export class SnapshotCommandIntake extends ServiceCommandIntake<SnapshotCommand> {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(TOPICS) topics: Topics,
    store: PgEventStore,
    relay: OutboxRelay,
    clock: Clock,
    ids: IdGenerator,
    private readonly createSnapshot: CreateSnapshotHandler,
    private readonly deleteSnapshot: DeleteSnapshotHandler,
    private readonly revertToSnapshot: RevertToSnapshotHandler,
    private readonly policies: SnapshotPolicies,
    private readonly backupSettings: SnapshotBackupSettings,
    private readonly createVmSnapshot: CreateVmSnapshotHandler,
    private readonly deleteVmSnapshot: DeleteVmSnapshotHandler,
    private readonly revertToVmSnapshot: RevertToVmSnapshotHandler,
  ) {
    super(
      { bus, store, relay, clock, ids },
      {
        consumerGroup: CONSUMER_GROUP,
        commandTopic: topics.snapshotCommands,
        eventsTopic: topics.snapshotEvents,
        deadLetterTopic: topics.deadLetter,
        validate: validateSnapshotCommand,
      },
    );
  }

  protected async dispatch(command: SnapshotCommand): Promise<void> {
    switch (command.type) {
      case 'CreateSnapshot':
        return this.createSnapshot.handle(command);
      case 'DeleteSnapshot':
        return this.deleteSnapshot.handle(command);
      case 'RevertToSnapshot':
        return this.revertToSnapshot.handle(command);
      case 'CreateSnapshotPolicy':
        return this.policies.create(command);
      case 'DeleteSnapshotPolicy':
        return this.policies.delete(command);
      case 'SetSnapshotBackup':
        return this.backupSettings.handle(command);
      case 'CreateVmSnapshot':
        return this.createVmSnapshot.handle(command);
      case 'DeleteVmSnapshot':
        return this.deleteVmSnapshot.handle(command);
      case 'RevertToVmSnapshot':
        return this.revertToVmSnapshot.handle(command);
      default:
        return assertUnreachable(command);
    }
  }
}
