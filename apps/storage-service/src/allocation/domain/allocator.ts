import type { AllocationPolicy, AllocationVerdict, VolumeQos } from '@strata/contracts';
import { roundUpToGranularity, type PluginCapabilities, type PluginLimits } from '@strata/plugin-sdk';

/**
 * Volume placement: which pool of a zone takes a new volume, and why every other one
 * does not. Pure: the caller gathers the pools, their plugins' manifests and what is
 * already allocated on them; this decides.
 */

export interface AllocationRequest {
  /** Absent only when a named pool is checked: then the pool's own zone is taken as given. */
  readonly zoneId?: string;
  readonly clusterId?: string;
  /** Tags every pool must carry. */
  readonly poolTags?: readonly string[];
  readonly hypervisor?: string;
  /** As asked; each pool rounds it up to its backend's granularity. */
  readonly sizeBytes: number;
  readonly provisioning: 'thin' | 'thick';
  readonly qos: VolumeQos | null;
  readonly policy: AllocationPolicy;
}

/** What allocation needs of a pool's plugin manifest. */
export interface CandidatePlugin {
  readonly name: string;
  readonly hypervisors: readonly string[];
  readonly capabilities: Pick<
    PluginCapabilities,
    'thinProvisioning' | 'overProvisioning' | 'qosIops' | 'qosBandwidth' | 'qosTiers'
  >  & Pick<PluginCapabilities, 'thickProvisioning'>;
  readonly limits: Pick<PluginLimits, 'sizeGranularityBytes' | 'minSizeBytes' | 'maxSizeBytes'>;
}

export interface PoolCandidate {
  readonly poolId: string;
  readonly name: string;
  /** The pool decider's status; only 'enabled' takes new volumes. */
  readonly status: string;
  readonly disabledReason?: string | null;
  readonly zoneId: string;
  /** Null: the pool serves the whole zone. */
  readonly clusterId: string | null;
  readonly tags: readonly string[];
  /** Empty: every hypervisor its plugin serves. */
  readonly hypervisors: readonly string[];
  readonly capacityBytes: number;
  /** Space really used, as the backend last reported it. */
  readonly usedBytes: number;
  readonly overProvisioningFactor: number;
  readonly allocationDisableThreshold: number;
  /** Sum of the sizes of the live volumes on the pool (what has been promised). */
  readonly allocatedBytes: number;
  /** The IOPS the pool can deliver; null when unknown (then IOPS are not counted). */
  readonly capacityIops: number | null;
  /** Sum of the IOPS limits of the live volumes on the pool. */
  readonly allocatedIops: number;
  /** Null when the pool's plugin is not installed in this service. */
  readonly plugin: CandidatePlugin | null;
}

/** Which rule a reason breaks, so a caller can name the request field at fault. */
export type AllocationRule =
  | 'state'
  | 'plugin'
  | 'zone'
  | 'cluster'
  | 'tags'
  | 'hypervisor'
  | 'provisioning'
  | 'qos'
  | 'size'
  | 'capacity'
  | 'iops';

export interface AllocationReason {
  readonly rule: AllocationRule;
  readonly message: string;
}

export interface PoolVerdict {
  readonly poolId: string;
  readonly poolName: string;
  readonly fits: boolean;
  /** Empty when it fits. */
  readonly reasons: readonly AllocationReason[];
  /** The request rounded up to this pool's granularity: what it would record and allocate. */
  readonly sizeBytes: number;
  /** Bytes left under the pool's binding limit after placing the volume (negative when it does not fit). */
  readonly roomAfterBytes: number;
}

export type AllocationResult =
  | { readonly chosen: PoolVerdict; readonly verdicts: readonly PoolVerdict[] }
  | { readonly chosen: null; readonly verdicts: readonly PoolVerdict[] };

/**
 * Looks at every candidate (in the order given: pool creation order) and picks one by the
 * policy: first fit takes the first that fits, most free the one with the most room left
 * after placement (the earlier one on a tie).
 */
export function allocate(request: AllocationRequest, candidates: readonly PoolCandidate[]): AllocationResult {
  const verdicts = candidates.map((pool) => judgePool(request, pool));
  return { chosen: choose(request.policy, verdicts), verdicts };
}

/** The verdict the policy takes among those that fit, or null when none does. */
export function choose(policy: AllocationPolicy, verdicts: readonly PoolVerdict[]): PoolVerdict | null {
  const fitting = verdicts.filter((v) => v.fits);
  let chosen: PoolVerdict | null = fitting[0] ?? null;
  if (policy === 'most-free') {
    for (const v of fitting) if (chosen && v.roomAfterBytes > chosen.roomAfterBytes) chosen = v;
  }
  return chosen;
}

/** Every rule the pool breaks for this request; all of them, so the answer says everything at once. */
export function judgePool(request: AllocationRequest, pool: PoolCandidate): PoolVerdict {
  const reasons: AllocationReason[] = [];
  const refuse = (rule: AllocationRule, message: string) => reasons.push({ rule, message });

  if (pool.status !== 'enabled') {
    refuse('state', pool.disabledReason ? `${pool.status} (${pool.disabledReason})` : pool.status);
  }
  if (request.zoneId !== undefined && pool.zoneId !== request.zoneId) {
    refuse('zone', `in zone ${pool.zoneId}, not ${request.zoneId}`);
  }
  // A zone-wide pool serves every cluster; without a cluster in the request, any pool of the zone may serve.
  if (request.clusterId !== undefined && pool.clusterId !== null && pool.clusterId !== request.clusterId) {
    refuse('cluster', `cluster ${pool.clusterId}, not ${request.clusterId}`);
  }
  const missing = (request.poolTags ?? []).filter((tag) => !pool.tags.includes(tag));
  if (missing.length > 0) refuse('tags', `lacks tags ${missing.join(', ')}`);

  const plugin = pool.plugin;
  if (!plugin) {
    refuse('plugin', 'its plugin is not installed in this storage service');
    return verdict(pool, reasons, request.sizeBytes, Number.NEGATIVE_INFINITY);
  }
  const served = pool.hypervisors.length > 0 ? pool.hypervisors : plugin.hypervisors;
  if (request.hypervisor !== undefined && !served.includes(request.hypervisor)) {
    refuse('hypervisor', `serves ${served.join(', ') || 'no hypervisor'}, not ${request.hypervisor}`);
  }
  const caps = plugin.capabilities;
  if (request.provisioning === 'thin' && !caps.thinProvisioning) refuse('provisioning', `the ${plugin.name} plugin does not provision thin`);
  if (request.provisioning === 'thick' && !caps.thickProvisioning) refuse('provisioning', `the ${plugin.name} plugin does not provision thick`);
  for (const lack of missingQos(request.qos, caps)) refuse('qos', `does not support QoS ${lack}`);

  const sizeBytes = roundUpToGranularity(request.sizeBytes, plugin.limits.sizeGranularityBytes);
  const { minSizeBytes, maxSizeBytes } = plugin.limits;
  if (sizeBytes < minSizeBytes) refuse('size', `takes volumes of at least ${formatBytes(minSizeBytes)}, not ${formatBytes(sizeBytes)}`);
  if (sizeBytes > maxSizeBytes) refuse('size', `takes volumes of at most ${formatBytes(maxSizeBytes)}, not ${formatBytes(sizeBytes)}`);

  const room = capacityRoom(request.provisioning, pool, plugin, sizeBytes);
  for (const message of room.refusals) refuse('capacity', message);
  const iops = request.qos?.iops;
  // Like CloudStack's IOPS check: promised limits may not pass what the pool can deliver.
  if (iops != null && pool.capacityIops !== null && pool.allocatedIops + iops > pool.capacityIops) {
    refuse('iops', `would exceed its ${pool.capacityIops} IOPS: ${pool.allocatedIops} IOPS promised + ${iops} > ${pool.capacityIops}`);
  }
  return verdict(pool, reasons, sizeBytes, room.roomAfterBytes);
}

function verdict(pool: PoolCandidate, reasons: AllocationReason[], sizeBytes: number, roomAfterBytes: number): PoolVerdict {
  return { poolId: pool.poolId, poolName: pool.name, fits: reasons.length === 0, reasons, sizeBytes, roomAfterBytes };
}

/** The QoS kinds asked for (a null limit asks for nothing) that the plugin cannot enforce. */
function missingQos(qos: VolumeQos | null, caps: CandidatePlugin['capabilities']): string[] {
  if (!qos) return [];
  const lacks: string[] = [];
  if (qos.iops != null && !caps.qosIops) lacks.push('iops');
  if (qos.bandwidthBytesPerSecond != null && !caps.qosBandwidth) lacks.push('bandwidth');
  if (qos.tier != null && !caps.qosTiers) lacks.push('tiers');
  return lacks;
}

/**
 * CloudStack's rule: allocated + requested <= capacity x over-provisioning factor x
 * disable threshold. The factor counts only where the plugin declares over-provisioning
 * (as CloudStack applies it only to pool types that support it). A thick volume takes its
 * space at once, so it must also fit the real free space: used + requested <= capacity x
 * threshold. The room after placement is taken on the tighter limit.
 */
function capacityRoom(
  provisioning: 'thin' | 'thick',
  pool: PoolCandidate,
  plugin: CandidatePlugin,
  sizeBytes: number,
): { refusals: string[]; roomAfterBytes: number } {
  const refusals: string[] = [];
  const threshold = pool.allocationDisableThreshold;
  const factor = plugin.capabilities.overProvisioning ? pool.overProvisioningFactor : 1;
  const allocationLimit = Math.floor(pool.capacityBytes * factor * threshold);
  let roomAfterBytes = allocationLimit - (pool.allocatedBytes + sizeBytes);
  if (roomAfterBytes < 0) {
    const ofWhat = factor === 1 ? 'capacity' : `${formatNumber(factor)}x capacity`;
    const ignored =
      factor === 1 && pool.overProvisioningFactor > 1
        ? ` (the ${plugin.name} plugin does not over-provision, so factor ${formatNumber(pool.overProvisioningFactor)} does not apply)`
        : '';
    refusals.push(
      `would exceed ${formatPercent(threshold)} of ${ofWhat}${ignored}: ${formatBytes(pool.allocatedBytes)} allocated + ` +
        `${formatBytes(sizeBytes)} > ${formatBytes(allocationLimit)}`,
    );
  }
  if (provisioning === 'thick') {
    const realLimit = Math.floor(pool.capacityBytes * threshold);
    const realRoom = realLimit - (pool.usedBytes + sizeBytes);
    if (realRoom < 0) {
      refusals.push(
        `thick provisioning needs real free space: ${formatBytes(pool.usedBytes)} used + ${formatBytes(sizeBytes)} > ` +
          `${formatBytes(realLimit)} (${formatPercent(threshold)} of ${formatBytes(pool.capacityBytes)})`,
      );
    }
    roomAfterBytes = Math.min(roomAfterBytes, realRoom);
  }
  return { refusals, roomAfterBytes };
}

/** The verdict as the VolumeCreationRequested event and the error details carry it. */
export function toAllocationVerdict(v: PoolVerdict): AllocationVerdict {
  return { poolId: v.poolId, fits: v.fits, reasons: v.reasons.map((r) => r.message) };
}

/** One line per pool: "gold-1 (id): lacks tags gold; disabled". */
export function describeVerdicts(verdicts: readonly PoolVerdict[]): string {
  return verdicts.map((v) => `${v.poolName} (${v.poolId}): ${v.fits ? 'fits' : v.reasons.map((r) => r.message).join('; ')}`).join('; ');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Binary units with at most one decimal: 9.3 GiB, 512 B, 1 TiB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatNumber(Math.round(value * 10) / 10)} ${UNITS[unit]}`;
}

function formatPercent(fraction: number): string {
  return `${formatNumber(Math.round(fraction * 10000) / 100)} %`;
}

function formatNumber(n: number): string {
  return String(Math.round(n * 100) / 100);
}
