import { Inject, Injectable } from '@nestjs/common';
import type { CreateVolumeData, Envelope, Topics } from '@strata/contracts';
import { assertVolumeSize, backendVolumeName, isBackendError, poolKeyOf, roundUpToGranularity } from '@strata/plugin-sdk';
import { AggregateRunner, SERVICE_CONFIG, TOPICS, type ServiceConfig } from '@strata/service-kit';
import { pluginOrReject } from '../../infrastructure/driver-registry';
import { toDomainError } from '../../infrastructure/backend-errors';
import { PoolReader } from '../../pools/application/pool-reader';
import { CONSUMER_GROUP } from '../../storage.constants';
import { volumeDecider, volumeStreamId } from '../domain/volume';
import { VolumeEffects } from './volume-effects';

/** CreateVolume: record the intent (with the inbox mark), then create on the backend. */
@Injectable()
export class CreateVolumeHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly pools: PoolReader,
    private readonly effects: VolumeEffects,
    @Inject(TOPICS) private readonly topics: Topics,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  async handle(command: Envelope<'CreateVolume', CreateVolumeData>): Promise<void> {
    const volumeId = command.aggregateId;
    const pool = await this.pools.get(command.data.poolId);
    let sizeBytes = command.data.sizeBytes;
    let backendName = '';
    const usable = pool.status === 'enabled' || pool.status === 'disabled' ? pool : null;
    if (usable) {
      const { manifest } = pluginOrReject(usable.plugin);
      try {
        // Rounded before it is recorded, so the event and the backend agree on the size.
        sizeBytes = roundUpToGranularity(sizeBytes, manifest.limits.sizeGranularityBytes);
        assertVolumeSize(manifest, sizeBytes);
        backendName = backendVolumeName(manifest, {
          volumeId,
          poolKey: poolKeyOf(usable.poolId),
          installationId: this.config.installationId,
        });
      } catch (error) {
        if (isBackendError(error)) throw toDomainError(error, 'data.');
        throw error;
      }
    }
    const meta = { causationId: command.messageId, correlationId: command.correlationId, tenant: command.tenant };
    await this.runner.execute(
      volumeDecider,
      volumeStreamId(volumeId),
      volumeId,
      () => ({
        type: 'CreateVolume' as const,
        volumeId,
        name: command.data.name,
        sizeBytes,
        volumeType: command.data.volumeType ?? 'DATA',
        poolId: command.data.poolId,
        pool: usable ? { poolId: usable.poolId, status: usable.status === 'enabled' ? ('enabled' as const) : ('disabled' as const) } : null,
        backendName,
      }),
      meta,
      { outboxTopic: this.topics.storageEvents, inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId } },
    );
    await this.effects.complete(volumeId, meta);
  }
}
