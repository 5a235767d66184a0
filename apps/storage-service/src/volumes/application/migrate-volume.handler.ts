import { Inject, Injectable } from '@nestjs/common';
import type { Envelope, MigrateVolumeData, Topics } from '@strata/contracts';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../storage.constants';
import { requireIdle, volumeDecider, volumeStreamId, type VolumeCommand } from '../domain/volume';
import { AllocationLock } from '../../allocation/application/allocation-lock';
import { MigrationPlanner } from './migration-planner';
import { VolumeMigrations } from './volume-migrations';

/**
 * MigrateVolume: plan the move (destination, mode, data mover), record the intent with the
 * command's inbox mark, and hand the move to the background: a copy can take hours, and
 * the command's partition must not wait for it. The job ends with VolumeMigrated or
 * VolumeMigrationFailed.
 */
@Injectable()
export class MigrateVolumeHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly planner: MigrationPlanner,
    private readonly lock: AllocationLock,
    private readonly migrations: VolumeMigrations,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'MigrateVolume', MigrateVolumeData>): Promise<void> {
    const volumeId = command.aggregateId;
    const { state } = await this.runner.load(volumeDecider, volumeStreamId(volumeId));
    // A busy or absent volume is refused before planning asks any backend.
    const volume = requireIdle(state, 'migrate it', volumeId);
    const meta = commandMeta(command);
    // The destination's space is read and promised under the zone's allocation lock.
    await this.lock.inZone(await this.planner.zoneOf(volume), async () => {
      const { plan, destination } = await this.planner.plan(volume, command.messageId, {
        destinationPoolId: command.data.destinationPoolId,
        policy: command.data.allocationPolicy ?? 'first-fit',
        dataMoverHostId: command.data.dataMoverHostId ?? null,
      });
      await this.runner.execute(volumeDecider, volumeStreamId(volumeId), volumeId, (): VolumeCommand => ({ type: 'MigrateVolume', volumeId, plan, destination }), meta, {
        outboxTopic: this.topics.storageEvents,
        inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
      });
    });
    this.migrations.start(volumeId, meta);
  }
}
