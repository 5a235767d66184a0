import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { validateSnapshotCommand, type SnapshotCommand, type Topics } from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import type { MessageBus } from '@strata/messaging';
import { Clock, CommandIntake, IdGenerator, MESSAGE_BUS, TOPICS } from '@strata/service-kit';
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
export class SnapshotCommandIntake implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private intake?: CommandIntake<SnapshotCommand>;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(TOPICS) private readonly topics: Topics,
    private readonly store: PgEventStore,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly createSnapshot: CreateSnapshotHandler,
    private readonly deleteSnapshot: DeleteSnapshotHandler,
    private readonly revertToSnapshot: RevertToSnapshotHandler,
    private readonly policies: SnapshotPolicies,
    private readonly backupSettings: SnapshotBackupSettings,
    private readonly createVmSnapshot: CreateVmSnapshotHandler,
    private readonly deleteVmSnapshot: DeleteVmSnapshotHandler,
    private readonly revertToVmSnapshot: RevertToVmSnapshotHandler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.intake = new CommandIntake<SnapshotCommand>(
      { bus: this.bus, store: this.store, relay: this.relay, clock: this.clock, ids: this.ids },
      {
        consumerGroup: CONSUMER_GROUP,
        commandTopic: this.topics.snapshotCommands,
        eventsTopic: this.topics.snapshotEvents,
        deadLetterTopic: this.topics.deadLetter,
        validate: validateSnapshotCommand,
        handle: (command) => this.dispatch(command),
      },
    );
    await this.intake.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.intake?.stop();
  }

  private async dispatch(command: SnapshotCommand): Promise<void> {
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
