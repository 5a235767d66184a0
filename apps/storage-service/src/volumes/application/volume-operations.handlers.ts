import { Inject, Injectable } from '@nestjs/common';
import type { ChangeVolumeQosData, Envelope, ResizeVolumeData, Topics, VolumeHostData } from '@strata/contracts';
import { isBackendError, roundUpToGranularity } from '@strata/plugin-sdk';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { toDomainError } from '@strata/pool-access';
import { pluginOrReject } from '@strata/pool-access';
import { backendHostFor, checkHostScope, HostErrors } from '../../hosts/domain/host';
import { HostReader } from '../../hosts/application/host.handlers';
import { PoolReader } from '../../pools/application/pool-reader';
import type { PoolState } from '../../pools/domain/pool';
import { AllocationLock } from '../../allocation/application/allocation-lock';
import { PoolCatalog } from '../../allocation/application/pool-catalog';
import { judgePool } from '../../allocation/domain/allocator';
import { CONSUMER_GROUP } from '../../storage.constants';
import { volumeDecider, volumeStreamId, VolumeErrors, type VolumeCommand, type VolumeState } from '../domain/volume';
import { VolumeEffects } from './volume-effects';

type KnownPool = Exclude<PoolState, { status: 'absent' }>;

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

  /**
   * Makes an allocated volume on the backend (its first attach needs it), under the
   * command's metadata but without its inbox mark: the command itself is still to run.
   */
  async materialize(command: Envelope): Promise<void> {
    const meta = commandMeta(command);
    const volumeId = command.aggregateId;
    await this.runner.execute(volumeDecider, volumeStreamId(volumeId), volumeId, (): VolumeCommand => ({ type: 'MaterializeVolume', volumeId }), meta, {
      outboxTopic: this.topics.storageEvents,
    });
    await this.effects.complete(volumeId, meta);
  }

  /** `guard` wraps the recording of the intent (not the backend call): the allocation lock of a resize. */
  async run(
    command: Envelope,
    decide: (state: VolumeState) => VolumeCommand,
    guard: (record: () => Promise<unknown>) => Promise<unknown> = (record) => record(),
  ): Promise<void> {
    const meta = commandMeta(command);
    await guard(() =>
      this.runner.execute(volumeDecider, volumeStreamId(command.aggregateId), command.aggregateId, decide, meta, {
        outboxTopic: this.topics.storageEvents,
        inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
      }),
    );
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

/**
 * Resize: the size is rounded to the backend's granularity before the decider sees it, and
 * a growth must fit the pool by the same rules as a new volume (its current size counted
 * once), checked and recorded under the zone's allocation lock.
 */
@Injectable()
export class ResizeVolumeHandler {
  constructor(
    private readonly volumes: VolumeCommandRunner,
    private readonly pools: PoolReader,
    private readonly catalog: PoolCatalog,
    private readonly lock: AllocationLock,
  ) {}
  async handle(command: Envelope<'ResizeVolume', ResizeVolumeData>): Promise<void> {
    const volumeId = command.aggregateId;
    const { pool, manifest } = await manifestOf(this.pools, await this.volumes.load(volumeId), volumeId);
    let toBytes: number;
    try {
      toBytes = roundUpToGranularity(command.data.sizeBytes, manifest.limits.sizeGranularityBytes);
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error, 'data.');
      throw error;
    }
    await this.volumes.run(
      command,
      () => ({
        type: 'ResizeVolume',
        volumeId,
        toBytes,
        allowShrink: command.data.allowShrink ?? false,
        backendCanShrink: manifest.capabilities.resizeShrink,
        backendCanGrow: manifest.capabilities.resizeGrow,
      }),
      (record) =>
        this.lock.inZone(pool.zoneId, async () => {
          // Read again under the lock: what the decider is about to accept must still fit.
          await this.checkRoom(pool, await this.volumes.load(volumeId), toBytes);
          return record();
        }),
    );
  }

  private async checkRoom(pool: KnownPool, state: VolumeState, toBytes: number): Promise<void> {
    // Only a usable volume can grow; the decider answers the others.
    if ((state.status !== 'ready' && state.status !== 'attached') || toBytes <= state.sizeBytes || pool.status === 'deleted') return;
    const candidate = await this.catalog.candidate(pool);
    const thick = state.provisioning === 'thick';
    // The pool's figures without this volume, which then asks for its new size.
    const without = {
      ...candidate,
      allocatedBytes: candidate.allocatedBytes - state.sizeBytes,
      usedBytes: thick ? Math.max(0, candidate.usedBytes - state.sizeBytes) : candidate.usedBytes,
    };
    const request = { sizeBytes: toBytes, provisioning: state.provisioning, qos: null, policy: 'first-fit' as const };
    const refusals = judgePool(request, without).reasons.filter((r) => r.rule === 'capacity');
    if (refusals.length > 0) throw VolumeErrors.growthExceedsCapacity(state.volumeId, pool.poolId, refusals.map((r) => r.message));
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
    const state = await this.volumes.load(volumeId);
    const { pool } = await manifestOf(this.pools, state, volumeId);
    const host = await this.hosts.get(command.data.hostId);
    if (host.status !== 'registered') throw HostErrors.notFound(command.data.hostId);
    checkHostScope(host, pool);
    const backendHost = backendHostFor(pool.plugin, host);
    // Checked before anything is made, so a refused attach leaves an allocated volume as it was.
    if (state.status === 'allocated') {
      if (pool.status === 'maintenance') throw VolumeErrors.poolInMaintenance(pool.poolId, 'attach volumes on it');
      await this.volumes.materialize(command);
    }
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
