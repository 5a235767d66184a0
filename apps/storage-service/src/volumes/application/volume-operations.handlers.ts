import { Inject, Injectable } from '@nestjs/common';
import type { ChangeVolumeQosData, Envelope, ResizeVolumeData, Topics, VolumeHostData } from '@strata/contracts';
import { isBackendError, roundUpToGranularity } from '@strata/plugin-sdk';
import { AggregateRunner, TOPICS, type CommandMeta } from '@strata/service-kit';
import { toDomainError } from '../../infrastructure/backend-errors';
import { pluginOrReject } from '../../infrastructure/driver-registry';
import { backendHostFor, checkHostScope, HostErrors } from '../../hosts/domain/host';
import { HostReader } from '../../hosts/application/host.handlers';
import { PoolReader } from '../../pools/application/pool-reader';
import { CONSUMER_GROUP } from '../../storage.constants';
import { volumeDecider, volumeStreamId, VolumeErrors, type VolumeCommand, type VolumeState } from '../domain/volume';
import { VolumeEffects } from './volume-effects';

const metaOf = (command: Envelope): CommandMeta => ({
  causationId: command.messageId,
  correlationId: command.correlationId,
  tenant: command.tenant,
});

/** Records a volume command's intent with the command's inbox mark, then runs its backend side. */
@Injectable()
export class VolumeCommandRunner {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly effects: VolumeEffects,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async load(volumeId: string): Promise<VolumeState> {
    return (await this.runner.load(volumeDecider, volumeStreamId(volumeId))).state;
  }

  async run(command: Envelope, decide: (state: VolumeState) => VolumeCommand): Promise<void> {
    const meta = metaOf(command);
    await this.runner.execute(volumeDecider, volumeStreamId(command.aggregateId), command.aggregateId, decide, meta, {
      outboxTopic: this.topics.storageEvents,
      inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
    });
    await this.effects.complete(command.aggregateId, meta);
  }
}

/** The manifest of the pool a volume lives on. */
async function manifestOf(pools: PoolReader, state: VolumeState, volumeId: string) {
  if (state.status === 'absent') throw VolumeErrors.notFound(volumeId);
  const pool = await pools.get(state.poolId);
  if (pool.status === 'absent') throw VolumeErrors.poolNotFound(state.poolId);
  return { pool, manifest: pluginOrReject(pool.plugin).manifest };
}

/** Resize: the size is rounded to the backend's granularity before the decider sees it. */
@Injectable()
export class ResizeVolumeHandler {
  constructor(
    private readonly volumes: VolumeCommandRunner,
    private readonly pools: PoolReader,
  ) {}
  async handle(command: Envelope<'ResizeVolume', ResizeVolumeData>): Promise<void> {
    const volumeId = command.aggregateId;
    const { manifest } = await manifestOf(this.pools, await this.volumes.load(volumeId), volumeId);
    let toBytes: number;
    try {
      toBytes = roundUpToGranularity(command.data.sizeBytes, manifest.limits.sizeGranularityBytes);
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error, 'data.');
      throw error;
    }
    await this.volumes.run(command, () => ({
      type: 'ResizeVolume',
      volumeId,
      toBytes,
      allowShrink: command.data.allowShrink ?? false,
      backendCanShrink: manifest.capabilities.resizeShrink,
      backendCanGrow: manifest.capabilities.resizeGrow,
    }));
  }
}

/**
 * Attach = grant the host access. Moving a running VM is an attach on the destination
 * then a detach from the source, so a volume may be attached to several hosts at once.
 */
@Injectable()
export class AttachVolumeHandler {
  constructor(
    private readonly volumes: VolumeCommandRunner,
    private readonly pools: PoolReader,
    private readonly hosts: HostReader,
  ) {}
  async handle(command: Envelope<'AttachVolume', VolumeHostData>): Promise<void> {
    const volumeId = command.aggregateId;
    const { pool } = await manifestOf(this.pools, await this.volumes.load(volumeId), volumeId);
    const host = await this.hosts.get(command.data.hostId);
    if (host.status !== 'registered') throw HostErrors.notFound(command.data.hostId);
    checkHostScope(host, pool);
    const backendHost = backendHostFor(pool.plugin, host);
    const poolStatus = pool.status === 'disabled' || pool.status === 'maintenance' ? pool.status : 'enabled';
    await this.volumes.run(command, () => ({ type: 'AttachVolume', volumeId, hostId: host.hostId, backendHost, poolStatus }));
  }
}

/** Detach = revoke the host's access, with the backend identity recorded at attach time. */
@Injectable()
export class DetachVolumeHandler {
  constructor(private readonly volumes: VolumeCommandRunner) {}
  async handle(command: Envelope<'DetachVolume', VolumeHostData>): Promise<void> {
    await this.volumes.run(command, () => ({ type: 'DetachVolume', volumeId: command.aggregateId, hostId: command.data.hostId }));
  }
}

/** A QoS change, refused up front on a backend that declares no QoS. */
@Injectable()
export class ChangeVolumeQosHandler {
  constructor(
    private readonly volumes: VolumeCommandRunner,
    private readonly pools: PoolReader,
  ) {}
  async handle(command: Envelope<'ChangeVolumeQos', ChangeVolumeQosData>): Promise<void> {
    const volumeId = command.aggregateId;
    const { manifest } = await manifestOf(this.pools, await this.volumes.load(volumeId), volumeId);
    const caps = manifest.capabilities;
    const qos = { iops: command.data.iops ?? null, bandwidthBytesPerSecond: command.data.bandwidthBytesPerSecond ?? null, tier: command.data.tier ?? null };
    const supported =
      (qos.iops === null || caps.qosIops) && (qos.bandwidthBytesPerSecond === null || caps.qosBandwidth) && (qos.tier === null || caps.qosTiers);
    await this.volumes.run(command, () => ({ type: 'ChangeVolumeQos', volumeId, qos, backendSupportsQos: supported }));
  }
}
