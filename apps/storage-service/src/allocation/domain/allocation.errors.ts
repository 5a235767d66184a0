import { DomainError, ErrorCategory, type FieldViolation } from '@strata/kernel';
import { describeVerdicts, formatBytes, toAllocationVerdict, type AllocationRule, type PoolVerdict } from './allocator';

/** The request field each broken rule points at, for the rejection's violations. */
const FIELD_OF_RULE: { readonly [R in AllocationRule]: string } = {
  state: 'data.poolId',
  plugin: 'data.poolId',
  zone: 'data.zoneId',
  cluster: 'data.clusterId',
  tags: 'data.poolTags',
  hypervisor: 'data.hypervisor',
  provisioning: 'data.provisioning',
  qos: 'data.qos',
  size: 'data.sizeBytes',
  capacity: 'data.sizeBytes',
  iops: 'data.qos.iops',
};

/** Rules that only room stands in the way of: a pool refused for these alone is full, not unsuitable. */
const ROOM_RULES: readonly AllocationRule[] = ['capacity', 'iops'];

export const AllocationErrors = {
  /** No pool of the zone takes the volume; the message and details say why for each one. */
  noPool: (zoneId: string, sizeBytes: number, provisioning: string, verdicts: readonly PoolVerdict[]) =>
    new DomainError(
      'allocation.no_pool',
      ErrorCategory.Capacity,
      verdicts.length === 0
        ? `no storage pool can take a ${formatBytes(sizeBytes)} ${provisioning} volume: zone ${zoneId} has no storage pools`
        : `no storage pool in zone ${zoneId} can take a ${formatBytes(sizeBytes)} ${provisioning} volume: ${describeVerdicts(verdicts)}`,
      { zoneId, candidates: verdicts.map(toAllocationVerdict) },
    ),

  /**
   * The pool named in the request cannot take the volume. Two codes so that each keeps one
   * category: full (only capacity stands in the way) or unsuitable (it lacks what is asked).
   */
  poolUnfit: (verdict: PoolVerdict) => {
    const onlyCapacity = verdict.reasons.every((r) => ROOM_RULES.includes(r.rule));
    const violations: FieldViolation[] = verdict.reasons.map((r) => ({ field: FIELD_OF_RULE[r.rule], rule: `allocation.${r.rule}`, message: r.message }));
    return new DomainError(
      onlyCapacity ? 'allocation.pool_full' : 'allocation.pool_unsuitable',
      onlyCapacity ? ErrorCategory.Capacity : ErrorCategory.Validation,
      `storage pool ${verdict.poolName} (${verdict.poolId}) cannot take this volume: ${verdict.reasons.map((r) => r.message).join('; ')}`,
      { poolId: verdict.poolId, candidates: [toAllocationVerdict(verdict)], violations },
    );
  },
};
