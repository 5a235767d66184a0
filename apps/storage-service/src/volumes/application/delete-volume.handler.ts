import { Inject, Injectable } from '@nestjs/common';
import type { DeleteVolumeData, Envelope, Topics } from '@strata/contracts';
import { AggregateRunner, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../storage.constants';
import { volumeDecider, volumeStreamId } from '../domain/volume';
import { VolumeEffects } from './volume-effects';

/** DeleteVolume: record the intent (with the inbox mark), then delete on the backend. */
@Injectable()
export class DeleteVolumeHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly effects: VolumeEffects,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'DeleteVolume', DeleteVolumeData>): Promise<void> {
    const volumeId = command.aggregateId;
    const meta = { causationId: command.messageId, correlationId: command.correlationId, tenant: command.tenant };
    await this.runner.execute(
      volumeDecider,
      volumeStreamId(volumeId),
      volumeId,
      () => ({ type: 'DeleteVolume' as const, volumeId }),
      meta,
      { outboxTopic: this.topics.storageEvents, inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId } },
    );
    await this.effects.complete(volumeId, meta);
  }
}
