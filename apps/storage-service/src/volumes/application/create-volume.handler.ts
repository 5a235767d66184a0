import { Inject, Injectable } from '@nestjs/common';
import type { AllocationVerdict, CreateVolumeData, Envelope, Topics, VolumeQos } from '@strata/contracts';
import { assertVolumeSize, backendVolumeName, capable, isBackendError, poolKeyOf, supports, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { AggregateRunner, type CommandMeta, commandMeta, SERVICE_CONFIG, type ServiceConfig, TOPICS } from '@strata/service-kit';
import { DriverRegistry, pluginOrReject } from '@strata/pool-access';
import { toDomainError, withBackendRetry } from '@strata/pool-access';
import { PoolReader } from '../../pools/application/pool-reader';
import { AllocationLock } from '../../allocation/application/allocation-lock';
import { PoolCatalog } from '../../allocation/application/pool-catalog';
import { allocate, judgePool, toAllocationVerdict, type AllocationRequest } from '../../allocation/domain/allocator';
import { AllocationErrors } from '../../allocation/domain/allocation.errors';
import { HostReader } from '../../hosts/application/host.handlers';
import { dataMoverHostIdOf, requireDataMover } from '../../hosts/application/data-mover';
import { CONSUMER_GROUP } from '../../storage.constants';
import { snapshotOfId } from '../domain/backend-lineage';
import {
  checkCloneOrigin,
  checkSnapshotSource,
  VolumeErrors,
  volumeDecider,
  volumeStreamId,
  type ImageSourceFacts,
  type PoolView,
  type SnapshotSourceFacts,
  type VolumeCommand,
} from '../domain/volume';
import { DiskImageError, imageVirtualSize } from '../infrastructure/disk-image';
import { VolumeEffects } from './volume-effects';

/** What the handler reads of the image before placing the volume (the data mover is judged against the chosen pool). */
type ImageRead = Omit<ImageSourceFacts, 'dataMoverHostId'> & { readonly dataMoverHostId: string | null };

/** The decider's CreateVolume with the fields this stage adds (provisioning, QoS, how the pool was chosen). */
type CreateVolumeCommand = Extract<VolumeCommand, { type: 'CreateVolume' }> & {
  readonly provisioning: 'thin' | 'thick';
  readonly qos: VolumeQos | null;
  readonly allocation: { readonly policy: string; readonly candidates: readonly AllocationVerdict[] } | null;
};

interface Placement {
  readonly poolId: string;
  /** Null: the named pool does not exist (the decider refuses with pool.not_found). */
  readonly pool: PoolView | null;
  readonly plugin: string | null;
  /** Rounded to the pool's granularity. */
  readonly sizeBytes: number;
  readonly allocation: CreateVolumeCommand['allocation'];
}

/**
 * CreateVolume: place the volume (on the named pool, checked by the same rules as
 * allocation, or on the pool allocation picks), record the intent with the inbox mark,
 * then create it on the backend. A request no pool can take is refused with the reason
 * for every pool looked at.
 *
 * With fromSnapshot the volume is a backend clone of the snapshot, made on the pool of the
 * volume the snapshot was taken of (zone, tags and policy are not used; a named poolId must
 * be that pool): the handler finds the snapshot among that volume's backend snapshots by
 * its id, judges the pool by allocation's rules for the size asked, and the decider judges
 * the rest (checkSnapshotSource).
 */
@Injectable()
export class CreateVolumeHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly pools: PoolReader,
    private readonly catalog: PoolCatalog,
    private readonly lock: AllocationLock,
    private readonly effects: VolumeEffects,
    private readonly drivers: DriverRegistry,
    private readonly hosts: HostReader,
    @Inject(TOPICS) private readonly topics: Topics,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  async handle(command: Envelope<'CreateVolume', CreateVolumeData>): Promise<void> {
    const volumeId = command.aggregateId;
    const { data } = command;
    const request: AllocationRequest = {
      zoneId: data.zoneId,
      clusterId: data.clusterId,
      poolTags: data.poolTags,
      hypervisor: data.hypervisor,
      sizeBytes: data.sizeBytes,
      provisioning: data.provisioning ?? 'thin',
      qos: qosOf(data),
      policy: data.allocationPolicy ?? 'first-fit',
    };
    const meta = commandMeta(command);
    if (data.fromSnapshot) {
      await this.fromSnapshot(command, request, meta);
      await this.effects.complete(volumeId, meta);
      return;
    }
    // The image is read before the zone's lock is taken: qemu-img on a slow store must not hold up other placements.
    const image = data.fromImage ? await this.readImage(data) : null;
    await this.lock.inZone(await this.zoneOf(data), () => this.place(command, request, meta, image));
    // A deferred volume is made at its first attach.
    if (!data.deferCreation) await this.effects.complete(volumeId, meta);
  }

  /** The zone whose free space the request competes for (a named pool's, else the request's). */
  private async zoneOf(data: CreateVolumeData): Promise<string> {
    if (data.poolId === undefined) return data.zoneId as string;
    const pool = await this.pools.get(data.poolId);
    return pool.status === 'absent' ? data.poolId : pool.zoneId;
  }

  /** Reads the free space and records the intent, under the zone's allocation lock. */
  private async place(
    command: Envelope<'CreateVolume', CreateVolumeData>,
    request: AllocationRequest,
    meta: CommandMeta,
    image: ImageRead | null,
  ): Promise<void> {
    const volumeId = command.aggregateId;
    const { data } = command;
    const placement = data.poolId !== undefined ? await this.onNamedPool(data.poolId, request) : await this.allocate(request);
    const backendName = placement.plugin ? this.backendName(placement.plugin, volumeId, placement.poolId, placement.sizeBytes) : '';
    // The data mover is judged against the pool the volume goes to (a refused pool is the decider's answer).
    let fromImage: ImageSourceFacts | null = null;
    if (image) {
      const moverId = placement.pool?.status === 'enabled' ? await requireDataMover(this.hosts, this.pools, image.dataMoverHostId, placement.poolId, 'data.fromImage.dataMoverHostId') : (image.dataMoverHostId ?? '');
      fromImage = { ...image, dataMoverHostId: moverId };
    }

    const create: CreateVolumeCommand = {
      type: 'CreateVolume',
      volumeId,
      name: data.name,
      sizeBytes: placement.sizeBytes,
      volumeType: data.volumeType ?? 'DATA',
      poolId: placement.poolId,
      pool: placement.pool,
      backendName,
      provisioning: request.provisioning,
      qos: request.qos,
      allocation: placement.allocation,
      deferred: data.deferCreation ?? false,
      fromImage,
    };
    await this.runner.execute(volumeDecider, volumeStreamId(volumeId), volumeId, () => create, meta, {
      outboxTopic: this.topics.storageEvents,
      inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
    });
  }

  /**
   * A clone of the snapshot on its volume's pool, judged and recorded under that pool's
   * zone lock. The source volume is read again inside the lock; what the backend says
   * (clones declared, the snapshot and its size) is asked only of an enabled pool, as a
   * disabled one is refused anyway.
   */
  private async fromSnapshot(command: Envelope<'CreateVolume', CreateVolumeData>, request: AllocationRequest, meta: CommandMeta): Promise<void> {
    const volumeId = command.aggregateId;
    const { data } = command;
    const from = data.fromSnapshot as NonNullable<CreateVolumeData['fromSnapshot']>;
    const loadSource = async () => (await this.runner.load(volumeDecider, volumeStreamId(from.volumeId))).state;
    const first = checkCloneOrigin({ volumeId: from.volumeId, volume: await loadSource(), requestedPoolId: data.poolId });
    const firstPool = await this.pools.get(first.poolId);
    const zone = firstPool.status === 'absent' ? first.poolId : firstPool.zoneId;

    await this.lock.inZone(zone, async () => {
      const facts: SnapshotSourceFacts = {
        snapshotId: from.snapshotId,
        volumeId: from.volumeId,
        volume: await loadSource(),
        requestedPoolId: data.poolId,
        requestedBytes: data.sizeBytes,
        cloneSupported: false,
        snapshot: null,
      };
      const origin = checkCloneOrigin(facts);
      const pool = await this.pools.get(origin.poolId);
      let create: CreateVolumeCommand = {
        type: 'CreateVolume',
        volumeId,
        name: data.name,
        sizeBytes: data.sizeBytes,
        volumeType: data.volumeType ?? 'DATA',
        poolId: origin.poolId,
        pool: pool.status === 'absent' || pool.status === 'deleted' ? null : { poolId: origin.poolId, status: pool.status },
        backendName: '',
        provisioning: request.provisioning,
        qos: request.qos,
        allocation: null,
        deferred: data.deferCreation ?? false,
        fromSnapshot: facts,
      };
      if (pool.status === 'enabled') {
        const backend = await this.snapshotOnBackend(await this.driverOf(pool), origin.backendName, from.snapshotId);
        const judged = { ...facts, ...backend };
        // The snapshot's rules before the pool's capacity: a refusal names the first thing to fix.
        checkSnapshotSource(judged, { provisioning: request.provisioning, deferred: data.deferCreation });
        // The pool's capacity rules as for any new volume; zone, cluster, tags and hypervisor do not apply.
        const onPool: AllocationRequest = { sizeBytes: request.sizeBytes, provisioning: request.provisioning, qos: request.qos, policy: request.policy };
        const verdict = judgePool(onPool, await this.catalog.candidate(pool));
        if (!verdict.fits) throw AllocationErrors.poolUnfit(verdict);
        create = {
          ...create,
          sizeBytes: verdict.sizeBytes,
          backendName: this.backendName(pool.plugin, volumeId, pool.poolId, verdict.sizeBytes),
          fromSnapshot: judged,
        };
      }
      await this.runner.execute(volumeDecider, volumeStreamId(volumeId), volumeId, () => create, meta, {
        outboxTopic: this.topics.storageEvents,
        inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
      });
    });
  }

  /** The image's virtual size (qemu-img info), refused naming data.fromImage.path when it cannot be read as the format given. */
  private async readImage(data: CreateVolumeData): Promise<ImageRead> {
    const image = data.fromImage as NonNullable<CreateVolumeData['fromImage']>;
    let virtualSizeBytes: number;
    try {
      virtualSizeBytes = await imageVirtualSize(image.path, image.format);
    } catch (error) {
      if (error instanceof DiskImageError) throw VolumeErrors.imageUnreadable(image.path, image.format, error.message);
      throw error;
    }
    return {
      path: image.path,
      format: image.format,
      dataMoverHostId: dataMoverHostIdOf(image.dataMoverHostId),
      virtualSizeBytes,
      requestedBytes: data.sizeBytes,
    };
  }

  /** Whether the backend clones, and the snapshot carrying the id among the volume's snapshots on it. */
  private async snapshotOnBackend(
    driver: PrimaryStorageDriver,
    volumeBackendName: string,
    snapshotId: string,
  ): Promise<Pick<SnapshotSourceFacts, 'cloneSupported' | 'snapshot'>> {
    if (!supports(driver, 'clone') || !supports(driver, 'snapshot')) return { cloneSupported: false, snapshot: null };
    try {
      // Retried in place: a blip of the array must not refuse the clone for good.
      const found = snapshotOfId(snapshotId, await withBackendRetry(() => capable(driver, 'snapshot').listSnapshots(volumeBackendName)));
      return { cloneSupported: true, snapshot: found ? { name: found.name, sizeBytes: found.sizeBytes } : null };
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error);
      throw error;
    }
  }

  private async driverOf(pool: Parameters<DriverRegistry['forPool']>[0]): Promise<PrimaryStorageDriver> {
    try {
      return await this.drivers.forPool(pool);
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error);
      throw error;
    }
  }

  /**
   * The pool named in the request. An absent or disabled pool is left to the decider (its
   * pool.not_found and pool.disabled answers); an enabled one must pass allocation's rules.
   */
  private async onNamedPool(poolId: string, request: AllocationRequest): Promise<Placement> {
    const pool = await this.pools.get(poolId);
    if (pool.status === 'absent' || pool.status === 'deleted') {
      return { poolId, pool: null, plugin: null, sizeBytes: request.sizeBytes, allocation: null };
    }
    if (pool.status === 'disabled' || pool.status === 'maintenance') {
      return { poolId, pool: { poolId, status: pool.status }, plugin: null, sizeBytes: request.sizeBytes, allocation: null };
    }
    const verdict = judgePool(request, await this.catalog.candidate(pool));
    if (!verdict.fits) throw AllocationErrors.poolUnfit(verdict);
    return { poolId, pool: { poolId, status: 'enabled' }, plugin: pool.plugin, sizeBytes: verdict.sizeBytes, allocation: null };
  }

  private async allocate(request: AllocationRequest): Promise<Placement> {
    // The contract requires zoneId whenever poolId is absent.
    const zoneId = request.zoneId as string;
    const candidates = await this.catalog.candidatesInZone(zoneId);
    const { chosen, verdicts } = allocate(request, candidates);
    if (!chosen) throw AllocationErrors.noPool(zoneId, request.sizeBytes, request.provisioning, verdicts);
    const plugin = candidates.find((c) => c.poolId === chosen.poolId)?.plugin?.name ?? null;
    return {
      poolId: chosen.poolId,
      pool: { poolId: chosen.poolId, status: 'enabled' },
      plugin,
      sizeBytes: chosen.sizeBytes,
      allocation: { policy: request.policy, candidates: verdicts.map(toAllocationVerdict) },
    };
  }

  /** The deterministic backend name; the size is checked against the backend's limits once more on the way. */
  private backendName(pluginName: string, volumeId: string, poolId: string, sizeBytes: number): string {
    const { manifest } = pluginOrReject(pluginName);
    try {
      assertVolumeSize(manifest, sizeBytes);
      return backendVolumeName(manifest, { volumeId, poolKey: poolKeyOf(poolId), installationId: this.config.installationId });
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error, 'data.');
      throw error;
    }
  }
}

/** The QoS asked for at creation, or null when it sets no limit (a null limit only removes one). */
function qosOf(data: CreateVolumeData): VolumeQos | null {
  const q = data.qos;
  if (!q) return null;
  const qos: VolumeQos = {
    ...(q.iops != null ? { iops: q.iops } : {}),
    ...(q.bandwidthBytesPerSecond != null ? { bandwidthBytesPerSecond: q.bandwidthBytesPerSecond } : {}),
    ...(q.tier != null ? { tier: q.tier } : {}),
  };
  return Object.keys(qos).length > 0 ? qos : null;
}
