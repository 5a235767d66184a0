import { Inject, Injectable } from '@nestjs/common';
import type { AllocationPolicy, DataMover, HostRegistered } from '@strata/contracts';
import { DomainError, ErrorCategory } from '@strata/kernel';
import { backendVolumeName, isBackendError, poolKeyOf, supports, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { SERVICE_CONFIG, type ServiceConfig, uuidSetting } from '@strata/service-kit';
import { PoolCatalog } from '../../allocation/application/pool-catalog';
import { AllocationErrors } from '../../allocation/domain/allocation.errors';
import { choose, judgePool, toAllocationVerdict, type AllocationRequest, type PoolCandidate, type PoolVerdict } from '../../allocation/domain/allocator';
import { toDomainError } from '@strata/pool-access';
import { DriverRegistry, pluginOrReject } from '@strata/pool-access';
import { HostReader } from '../../hosts/application/host.handlers';
import { backendHostFor, checkHostScope, HostErrors } from '../../hosts/domain/host';
import { PoolReader } from '../../pools/application/pool-reader';
import type { PoolState } from '../../pools/domain/pool';
import { descendantsOf } from '../domain/backend-lineage';
import { VolumeErrors, type MigrationPlan, type PoolView, type VolumeState } from '../domain/volume';

/** The registered host block copies go through when a command names none (the host this service runs on). */
const DEFAULT_DATA_MOVER = uuidSetting('STRATA_DATA_MOVER_HOST_ID', 'a registered data-mover host');

type PresentVolume = Exclude<VolumeState, { status: 'absent' }>;
type KnownPool = Exclude<PoolState, { status: 'absent' | 'deleted' }>;

export interface MigrationRequest {
  readonly destinationPoolId?: string;
  readonly policy: AllocationPolicy;
  readonly dataMoverHostId?: string | null;
  /** Bytes already promised to pools by moves planned just before this one (a maintenance plans all at once). */
  readonly planned?: ReadonlyMap<string, number>;
}

export interface PlannedMigration {
  readonly plan: MigrationPlan;
  readonly destination: PoolView;
}

export const MigrationErrors = {
  dataMoverRequired: (volumeId: string) =>
    new DomainError(
      'volume.data_mover_required',
      ErrorCategory.Validation,
      `volume ${volumeId} must be copied block by block (the pools are not one backend cluster with native migration): name the host to copy through in dataMoverHostId, or set STRATA_DATA_MOVER_HOST_ID`,
      { volumeId, violations: [{ field: 'data.dataMoverHostId', rule: 'requiredForCopy', message: 'dataMoverHostId is required for a block copy' }] },
    ),
  destinationUnfit: (verdict: PoolVerdict) =>
    new DomainError(
      'volume.destination_unfit',
      verdict.reasons.every((r) => r.rule === 'capacity' || r.rule === 'iops') ? ErrorCategory.Capacity : ErrorCategory.Validation,
      `storage pool ${verdict.poolName} (${verdict.poolId}) cannot take this volume: ${verdict.reasons.map((r) => r.message).join('; ')}`,
      {
        poolId: verdict.poolId,
        candidates: [toAllocationVerdict(verdict)],
        violations: verdict.reasons.map((r) => ({ field: 'data.destinationPoolId', rule: `allocation.${r.rule}`, message: r.message })),
      },
    ),
};

/**
 * Where and how a volume moves: the destination (named, or picked by allocation among
 * the other pools of the volume's zone by the same rules as a new volume, plus: every host
 * it is attached to must be able to use it), and the mode: native when both pools are one
 * backend cluster whose plugin declares native migration, else a block copy through a
 * data-mover host, which must reach both pools. Everything that can be refused is refused
 * here, before any intent is recorded.
 */
@Injectable()
export class MigrationPlanner {
  constructor(
    private readonly pools: PoolReader,
    private readonly catalog: PoolCatalog,
    private readonly drivers: DriverRegistry,
    private readonly hosts: HostReader,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  /** The zone whose allocation lock a migration of the volume takes (the destination is in the same zone). */
  async zoneOf(volume: PresentVolume): Promise<string> {
    const source = await this.pools.get(volume.poolId);
    return source.status === 'absent' ? volume.poolId : source.zoneId;
  }

  /** `migrationId` names the destination copy, so each migration makes its own object. */
  async plan(volume: PresentVolume, migrationId: string, request: MigrationRequest): Promise<PlannedMigration> {
    const source = await this.pools.get(volume.poolId);
    if (source.status === 'absent' || source.status === 'deleted') throw VolumeErrors.poolNotFound(volume.poolId);
    const attachedHosts = await this.attachedHosts(volume);
    const allocation: AllocationRequest = {
      zoneId: source.zoneId,
      // A volume of a cluster-wide pool is used in that cluster: its new pool must serve it.
      ...(source.clusterId !== null ? { clusterId: source.clusterId } : {}),
      sizeBytes: volume.sizeBytes,
      provisioning: volume.provisioning,
      qos: volume.qos,
      policy: request.policy,
    };

    let destination: KnownPool;
    let verdict: PoolVerdict;
    let candidates: ReturnType<typeof toAllocationVerdict>[] | null = null;
    if (request.destinationPoolId !== undefined) {
      if (request.destinationPoolId === volume.poolId) throw VolumeErrors.samePool(volume.volumeId, volume.poolId);
      const named = await this.pools.get(request.destinationPoolId);
      if (named.status === 'absent' || named.status === 'deleted') throw VolumeErrors.poolNotFound(request.destinationPoolId);
      destination = named;
      verdict = withHosts(judgePool(allocation, withPlanned(await this.catalog.candidate(named), request.planned)), named, attachedHosts);
      if (!verdict.fits) throw MigrationErrors.destinationUnfit(verdict);
    } else {
      const others = (await this.catalog.candidatesInZone(source.zoneId)).filter((c) => c.poolId !== volume.poolId);
      const states = new Map<string, KnownPool>();
      for (const c of others) {
        const state = await this.pools.get(c.poolId);
        if (state.status !== 'absent' && state.status !== 'deleted') states.set(c.poolId, state);
      }
      const verdicts = others.map((c) => {
        const judged = judgePool(allocation, withPlanned(c, request.planned));
        const state = states.get(c.poolId);
        return state ? withHosts(judged, state, attachedHosts) : judged;
      });
      const chosen = choose(request.policy, verdicts);
      if (!chosen) throw AllocationErrors.noPool(source.zoneId, volume.sizeBytes, volume.provisioning, verdicts);
      destination = states.get(chosen.poolId) as KnownPool;
      verdict = chosen;
      candidates = verdicts.map(toAllocationVerdict);
    }

    const [from, to] = await Promise.all([this.driver(source), this.driver(destination)]);
    const target = nativeTarget(from, to);
    const base = {
      toPoolId: destination.poolId,
      allocation: candidates ? { policy: request.policy, candidates } : null,
    };
    const view: PoolView = { poolId: destination.poolId, status: destination.status === 'disabled' || destination.status === 'maintenance' ? destination.status : 'enabled' };
    if (target !== null) {
      await this.refuseIfTreeShared(from, volume);
      return {
        destination: view,
        plan: { ...base, mode: 'native', destinationBackendName: volume.backendName, sizeBytes: volume.sizeBytes, nativeTarget: target, dataMover: null },
      };
    }
    if (volume.attachments.length > 0) throw VolumeErrors.copyOfAttached(volume.volumeId, volume.attachments.map((a) => a.hostId));
    await this.refuseIfSnapshots(from, volume);
    const dataMover = await this.dataMover(volume.volumeId, request.dataMoverHostId ?? DEFAULT_DATA_MOVER, source, destination);
    return {
      destination: view,
      plan: {
        ...base,
        mode: 'copy',
        destinationBackendName: this.copyName(destination, migrationId),
        sizeBytes: verdict.sizeBytes,
        nativeTarget: null,
        dataMover,
      },
    };
  }

  /**
   * A native move takes the volume's whole backend tree (a PowerFlex VTree, a StorPool
   * template change of every member): other volumes in it, clones made from its snapshots
   * or the volume it was cloned from, would move without their own record saying so.
   */
  private async refuseIfTreeShared(driver: PrimaryStorageDriver, volume: PresentVolume): Promise<void> {
    let others: string[];
    try {
      const tree = await driver.getVolumeTree(volume.backendName);
      const own = volume.backendName.toLowerCase();
      others = tree.members.filter((m) => m.kind !== 'snapshot' && m.name.toLowerCase() !== own).map((m) => m.name);
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error);
      throw error;
    }
    if (others.length > 0) throw VolumeErrors.treeShared(volume.volumeId, others);
  }

  /** A copy moves the volume alone: its snapshots would go with the deleted source. */
  private async refuseIfSnapshots(driver: PrimaryStorageDriver, volume: PresentVolume): Promise<void> {
    let count: number;
    try {
      const tree = await driver.getVolumeTree(volume.backendName);
      // Its own snapshots only: a clone's tree also holds its source's, which stay with the source.
      count =
        tree.root.toLowerCase() === volume.backendName.toLowerCase()
          ? tree.snapshotCount
          : descendantsOf(tree, volume.backendName).filter((m) => m.kind === 'snapshot').length;
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error);
      throw error;
    }
    if (count > 0) throw VolumeErrors.copyLosesSnapshots(volume.volumeId, count);
  }

  private async attachedHosts(volume: PresentVolume): Promise<HostRegistered[]> {
    const out: HostRegistered[] = [];
    for (const attachment of volume.attachments) {
      const host = await this.hosts.get(attachment.hostId);
      if (host.status === 'registered') out.push(host);
    }
    return out;
  }

  private async driver(pool: KnownPool): Promise<PrimaryStorageDriver> {
    try {
      return await this.drivers.forPool(pool);
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error);
      throw error;
    }
  }

  private async dataMover(volumeId: string, hostId: string | null, source: KnownPool, destination: KnownPool): Promise<DataMover> {
    if (hostId === null) throw MigrationErrors.dataMoverRequired(volumeId);
    const host = await this.hosts.get(hostId);
    if (host.status !== 'registered') throw HostErrors.notFound(hostId);
    checkHostScope(host, source);
    checkHostScope(host, destination);
    return {
      hostId,
      sourceBackendHost: backendHostFor(source.plugin, host),
      destinationBackendHost: backendHostFor(destination.plugin, host),
    };
  }

  /** The copy's own name, from the migration's id: never the source's name, even where both pools share one namespace. */
  private copyName(destination: KnownPool, migrationId: string): string {
    const { manifest } = pluginOrReject(destination.plugin);
    try {
      return backendVolumeName(manifest, { volumeId: migrationId, poolKey: poolKeyOf(destination.poolId), installationId: this.config.installationId });
    } catch (error) {
      if (isBackendError(error)) throw toDomainError(error);
      throw error;
    }
  }
}

/** The backend's name of the destination when the two drivers can move the volume natively, else null. */
function nativeTarget(from: PrimaryStorageDriver, to: PrimaryStorageDriver): string | null {
  if (from.manifest.name !== to.manifest.name) return null;
  if (!supports(from, 'nativeMigration') || !supports(to, 'nativeMigration')) return null;
  const here = from.migrationTarget();
  const there = to.migrationTarget();
  return here.cluster === there.cluster && here.pool !== there.pool ? there.pool : null;
}

function withPlanned(candidate: PoolCandidate, planned?: ReadonlyMap<string, number>): PoolCandidate {
  const extra = planned?.get(candidate.poolId) ?? 0;
  return extra === 0 ? candidate : { ...candidate, allocatedBytes: candidate.allocatedBytes + extra };
}

/** The verdict with a reason added for every attached host that could not use the pool. */
function withHosts(verdict: PoolVerdict, pool: KnownPool, hosts: readonly HostRegistered[]): PoolVerdict {
  const reasons = [...verdict.reasons];
  for (const host of hosts) {
    try {
      checkHostScope(host, pool);
      backendHostFor(pool.plugin, host);
    } catch (error) {
      reasons.push({ rule: 'cluster', message: `attached host ${host.name} cannot use it: ${(error as Error).message}` });
    }
  }
  return reasons.length === verdict.reasons.length ? verdict : { ...verdict, fits: false, reasons };
}
