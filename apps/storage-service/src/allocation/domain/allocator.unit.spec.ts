import {
  allocate,
  describeVerdicts,
  formatBytes,
  judgePool,
  toAllocationVerdict,
  type AllocationRequest,
  type CandidatePlugin,
  type PoolCandidate,
} from './allocator';
import { AllocationErrors } from './allocation.errors';

const GiB = 2 ** 30;

const filePlugin: CandidatePlugin = {
  name: 'file',
  hypervisors: ['kvm'],
  capabilities: {
    thinProvisioning: true,
    thickProvisioning: false,
    overProvisioning: false,
    qosIops: false,
    qosBandwidth: false,
    qosTiers: false,
  },
  limits: { sizeGranularityBytes: 512, minSizeBytes: 512, maxSizeBytes: 2 ** 50 },
};
const powerflexPlugin: CandidatePlugin = {
  name: 'powerflex',
  hypervisors: ['kvm', 'vmware'],
  capabilities: {
    thinProvisioning: true,
    thickProvisioning: true,
    overProvisioning: true,
    qosIops: true,
    qosBandwidth: true,
    qosTiers: false,
  },
  limits: { sizeGranularityBytes: 8 * GiB, minSizeBytes: 8 * GiB, maxSizeBytes: 1024 * GiB },
};

/** A 100 GiB enabled, zone-wide, empty pool in zone z1; each test states what differs. */
function pool(name: string, overrides: Partial<PoolCandidate> = {}): PoolCandidate {
  return {
    poolId: `id-${name}`,
    name,
    status: 'enabled',
    disabledReason: null,
    zoneId: 'z1',
    clusterId: null,
    tags: [],
    hypervisors: [],
    capacityBytes: 100 * GiB,
    usedBytes: 0,
    overProvisioningFactor: 1,
    allocationDisableThreshold: 0.85,
    allocatedBytes: 0,
    capacityIops: null,
    allocatedIops: 0,
    plugin: filePlugin,
    ...overrides,
  };
}

function request(overrides: Partial<AllocationRequest> = {}): AllocationRequest {
  return { zoneId: 'z1', sizeBytes: GiB, provisioning: 'thin', qos: null, policy: 'first-fit', ...overrides };
}

const reasonsOf = (r: AllocationRequest, p: PoolCandidate) => judgePool(r, p).reasons.map((x) => x.message);

describe('allocator', () => {
  describe('policies', () => {
    const a = pool('a', { allocatedBytes: 60 * GiB });
    const b = pool('b', { allocatedBytes: 10 * GiB });
    const c = pool('c', { allocatedBytes: 10 * GiB });

    it('given pools that all fit, when first fit allocates, then the first in creation order is chosen', () => {
      const result = allocate(request(), [a, b, c]);
      expect(result.chosen?.poolId).toBe('id-a');
      expect(result.verdicts.map((v) => [v.poolId, v.fits])).toEqual([
        ['id-a', true],
        ['id-b', true],
        ['id-c', true],
      ]);
    });

    it('given no policy preference beyond the default, when the first pool does not fit, then first fit takes the next one', () => {
      const full = pool('full', { allocatedBytes: 85 * GiB });
      expect(allocate(request(), [full, b]).chosen?.poolId).toBe('id-b');
    });

    it('given pools with different room, when most free allocates, then the one with most room after placement is chosen', () => {
      const result = allocate(request({ policy: 'most-free' }), [a, b, c]);
      // b and c tie at 85 - 10 - 1 = 74 GiB of room: the earlier one wins.
      expect(result.chosen?.poolId).toBe('id-b');
      expect(result.chosen?.roomAfterBytes).toBe(Math.floor(100 * GiB * 0.85) - 11 * GiB);
    });

    it('given a bigger pool that is fuller, when most free allocates, then room is measured in bytes left, not in percent', () => {
      const big = pool('big', { capacityBytes: 1000 * GiB, allocatedBytes: 500 * GiB });
      expect(allocate(request({ policy: 'most-free' }), [b, big]).chosen?.poolId).toBe('id-big');
    });

    it('given most free, when the roomiest pool does not fit for another reason, then it is not chosen', () => {
      const big = pool('big', { capacityBytes: 1000 * GiB, status: 'disabled' });
      expect(allocate(request({ policy: 'most-free' }), [b, big]).chosen?.poolId).toBe('id-b');
    });

    it('given no candidates at all, when allocating, then nothing is chosen and there are no verdicts', () => {
      expect(allocate(request(), [])).toEqual({ chosen: null, verdicts: [] });
    });
  });

  describe('state', () => {
    it('given a disabled pool, then it does not fit, with the operator reason', () => {
      expect(reasonsOf(request(), pool('a', { status: 'disabled' }))).toEqual(['disabled']);
      expect(reasonsOf(request(), pool('a', { status: 'disabled', disabledReason: 'firmware upgrade' }))).toEqual([
        'disabled (firmware upgrade)',
      ]);
    });
    it('given a pool in any state but enabled (e.g. maintenance), then it does not fit', () => {
      expect(reasonsOf(request(), pool('a', { status: 'maintenance' }))).toEqual(['maintenance']);
    });
  });

  describe('scope', () => {
    it('given a pool of another zone, then it does not fit', () => {
      expect(reasonsOf(request(), pool('a', { zoneId: 'z2' }))).toEqual(['in zone z2, not z1']);
    });
    it('given no zone in the request (a named pool), then the zone is not checked', () => {
      expect(reasonsOf(request({ zoneId: undefined }), pool('a', { zoneId: 'z2' }))).toEqual([]);
    });
    it('given a pool of another cluster, then it does not fit', () => {
      expect(reasonsOf(request({ clusterId: 'c1' }), pool('a', { clusterId: 'c2' }))).toEqual(['cluster c2, not c1']);
    });
    it('given a zone-wide pool, then it serves the requested cluster', () => {
      expect(judgePool(request({ clusterId: 'c1' }), pool('a', { clusterId: null })).fits).toBe(true);
    });
    it('given a cluster pool of the same cluster, then it fits', () => {
      expect(judgePool(request({ clusterId: 'c1' }), pool('a', { clusterId: 'c1' })).fits).toBe(true);
    });
    it('given a request without a cluster, then a cluster pool of the zone may take it', () => {
      expect(judgePool(request(), pool('a', { clusterId: 'c2' })).fits).toBe(true);
    });
  });

  describe('tags', () => {
    it('given a pool without some requested tags, then it names the missing ones', () => {
      expect(reasonsOf(request({ poolTags: ['ssd', 'gold', 'fast'] }), pool('a', { tags: ['ssd'] }))).toEqual(['lacks tags gold, fast']);
    });
    it('given a pool with every requested tag and more, then it fits', () => {
      expect(judgePool(request({ poolTags: ['gold'] }), pool('a', { tags: ['ssd', 'gold'] })).fits).toBe(true);
    });
  });

  describe('hypervisor', () => {
    it('given a pool limited to other hypervisors, then it does not fit', () => {
      const p = pool('a', { hypervisors: ['vmware'], plugin: powerflexPlugin });
      expect(reasonsOf(request({ hypervisor: 'kvm', sizeBytes: 8 * GiB }), p)).toEqual(['serves vmware, not kvm']);
    });
    it("given a pool without its own list, then its plugin's hypervisors decide", () => {
      expect(reasonsOf(request({ hypervisor: 'vmware' }), pool('a'))).toEqual(['serves kvm, not vmware']);
      expect(judgePool(request({ hypervisor: 'vmware', sizeBytes: 8 * GiB }), pool('b', { plugin: powerflexPlugin })).fits).toBe(true);
    });
    it('given no hypervisor in the request, then any pool serves', () => {
      expect(judgePool(request(), pool('a', { hypervisors: ['vmware'] })).fits).toBe(true);
    });
  });

  describe('provisioning', () => {
    it('given a plugin that makes no thick volumes, when thick is asked, then it does not fit', () => {
      expect(reasonsOf(request({ provisioning: 'thick' }), pool('a'))).toEqual(['the file plugin does not provision thick']);
    });
    it('given a plugin that makes no thin volumes, when thin is asked, then it does not fit', () => {
      const thickOnly = { ...filePlugin, name: 'lvm', capabilities: { ...filePlugin.capabilities, thinProvisioning: false, thickProvisioning: true } };
      expect(reasonsOf(request(), pool('a', { plugin: thickOnly }))).toEqual(['the lvm plugin does not provision thin']);
    });
  });

  describe('QoS', () => {
    it('given a plugin without QoS, when iops, bandwidth and a tier are asked, then each missing kind is named', () => {
      expect(reasonsOf(request({ qos: { iops: 500, bandwidthBytesPerSecond: 10 ** 8, tier: 'gold' } }), pool('a'))).toEqual([
        'does not support QoS iops',
        'does not support QoS bandwidth',
        'does not support QoS tiers',
      ]);
    });
    it('given a plugin with iops and bandwidth limits but no tiers, then only the tier is refused', () => {
      const p = pool('a', { plugin: powerflexPlugin });
      expect(reasonsOf(request({ sizeBytes: 8 * GiB, qos: { iops: 500, tier: 'gold' } }), p)).toEqual(['does not support QoS tiers']);
      expect(judgePool(request({ sizeBytes: 8 * GiB, qos: { iops: 500, bandwidthBytesPerSecond: 10 ** 8 } }), p).fits).toBe(true);
    });
    it('given a pool of known IOPS, when the limits promised would pass them, then it does not fit', () => {
      const p = pool('a', { plugin: powerflexPlugin, capacityIops: 10_000, allocatedIops: 9_500 });
      expect(reasonsOf(request({ sizeBytes: 8 * GiB, qos: { iops: 1_000 } }), p)).toEqual(['would exceed its 10000 IOPS: 9500 IOPS promised + 1000 > 10000']);
      expect(judgePool(request({ sizeBytes: 8 * GiB, qos: { iops: 500 } }), p).fits).toBe(true);
    });
    it('given a pool of unknown IOPS, or a request without an IOPS limit, then IOPS are not counted', () => {
      expect(judgePool(request({ sizeBytes: 8 * GiB, qos: { iops: 10 ** 6 } }), pool('a', { plugin: powerflexPlugin, allocatedIops: 10 ** 9 })).fits).toBe(true);
      expect(judgePool(request({ sizeBytes: 8 * GiB }), pool('b', { plugin: powerflexPlugin, capacityIops: 100, allocatedIops: 100 })).fits).toBe(true);
    });
    it('given null limits (which only remove a limit), then no QoS support is needed', () => {
      expect(judgePool(request({ qos: { iops: null, tier: null } }), pool('a')).fits).toBe(true);
    });
  });

  describe('size', () => {
    it("given a backend with a coarse granularity, then the request is rounded up to it and that size is allocated", () => {
      const p = pool('pf', { plugin: powerflexPlugin, capacityBytes: 20 * GiB, overProvisioningFactor: 1 });
      const v = judgePool(request({ sizeBytes: GiB }), p);
      expect(v.sizeBytes).toBe(8 * GiB);
      expect(v.roomAfterBytes).toBe(Math.floor(20 * GiB * 0.85) - 8 * GiB);
    });
    it("given a request above the backend's largest volume, then it does not fit", () => {
      const p = pool('pf', { plugin: powerflexPlugin, capacityBytes: 10_000 * GiB });
      expect(reasonsOf(request({ sizeBytes: 2048 * GiB }), p)).toEqual(['takes volumes of at most 1 TiB, not 2 TiB']);
    });
    it("given a request below the backend's smallest volume after rounding, then it does not fit", () => {
      const tiny = { ...filePlugin, limits: { sizeGranularityBytes: 512, minSizeBytes: GiB, maxSizeBytes: 2 ** 50 } };
      expect(reasonsOf(request({ sizeBytes: 1000 }), pool('a', { plugin: tiny }))).toEqual(['takes volumes of at least 1 GiB, not 1 KiB']);
    });
  });

  describe('capacity (thin)', () => {
    it('given allocation at the limit exactly, then it still fits', () => {
      const limit = Math.floor(100 * GiB * 0.85);
      expect(judgePool(request({ sizeBytes: GiB }), pool('a', { allocatedBytes: limit - GiB })).fits).toBe(true);
      expect(judgePool(request({ sizeBytes: GiB + 512 }), pool('a', { allocatedBytes: limit - GiB })).fits).toBe(false);
    });
    it('given an over-provisioning plugin and factor, then allocation may pass the capacity up to factor x threshold', () => {
      const p = pool('pf', { plugin: powerflexPlugin, capacityBytes: 5 * GiB, overProvisioningFactor: 2, allocatedBytes: 0 });
      expect(judgePool(request({ sizeBytes: 8 * GiB }), p).fits).toBe(true);
    });
    it('given an over-provisioned pool that is full, then the reason shows the rule with the numbers', () => {
      const p = pool('pf', {
        plugin: { ...powerflexPlugin, limits: { ...powerflexPlugin.limits, sizeGranularityBytes: 512, minSizeBytes: 512 } },
        capacityBytes: 5 * GiB,
        overProvisioningFactor: 2,
        allocatedBytes: Math.round(9.3 * GiB),
      });
      expect(reasonsOf(request({ sizeBytes: GiB }), p)).toEqual(['would exceed 85 % of 2x capacity: 9.3 GiB allocated + 1 GiB > 8.5 GiB']);
    });
    it('given a plugin that does not over-provision, then the pool factor is not applied, and the reason says so', () => {
      const p = pool('a', { capacityBytes: 10 * GiB, overProvisioningFactor: 3, allocatedBytes: 8 * GiB });
      expect(reasonsOf(request({ sizeBytes: GiB }), p)).toEqual([
        'would exceed 85 % of capacity (the file plugin does not over-provision, so factor 3 does not apply): 8 GiB allocated + 1 GiB > 8.5 GiB',
      ]);
    });
    it('given a too-small disable threshold, then a volume that fits the capacity is refused', () => {
      const p = pool('a', { capacityBytes: 10 * GiB, allocationDisableThreshold: 0.05 });
      expect(reasonsOf(request({ sizeBytes: GiB }), p)).toEqual(['would exceed 5 % of capacity: 0 B allocated + 1 GiB > 512 MiB']);
    });
    it('given thin provisioning, then the space really used does not matter', () => {
      expect(judgePool(request(), pool('a', { usedBytes: 99 * GiB })).fits).toBe(true);
    });
  });

  describe('capacity (thick)', () => {
    const pf = (overrides: Partial<PoolCandidate>) => pool('pf', { plugin: powerflexPlugin, capacityBytes: 100 * GiB, overProvisioningFactor: 10, ...overrides });
    it('given little real free space, when thick is asked, then it does not fit even though the over-provisioned allocation would', () => {
      expect(reasonsOf(request({ provisioning: 'thick', sizeBytes: 8 * GiB }), pf({ usedBytes: 80 * GiB, allocatedBytes: 300 * GiB }))).toEqual([
        'thick provisioning needs real free space: 80 GiB used + 8 GiB > 85 GiB (85 % of 100 GiB)',
      ]);
    });
    it('given enough real free space, when thick is asked, then it fits and room is the real room', () => {
      const v = judgePool(request({ provisioning: 'thick', sizeBytes: 8 * GiB }), pf({ usedBytes: 40 * GiB, allocatedBytes: 300 * GiB }));
      expect(v.fits).toBe(true);
      expect(v.roomAfterBytes).toBe(85 * GiB - 48 * GiB);
    });
    it('given a full allocation, when thick is asked, then both limits are reported', () => {
      const reasons = reasonsOf(request({ provisioning: 'thick', sizeBytes: 8 * GiB }), pf({ overProvisioningFactor: 1, usedBytes: 80 * GiB, allocatedBytes: 80 * GiB }));
      expect(reasons).toEqual([
        'would exceed 85 % of capacity: 80 GiB allocated + 8 GiB > 85 GiB',
        'thick provisioning needs real free space: 80 GiB used + 8 GiB > 85 GiB (85 % of 100 GiB)',
      ]);
    });
  });

  describe('when nothing fits', () => {
    const candidates = [
      pool('off', { status: 'disabled' }),
      pool('far', { zoneId: 'z2' }),
      pool('plain', { tags: [] }),
      pool('tight', { tags: ['gold'], capacityBytes: 10 * GiB, allocationDisableThreshold: 0.1 }),
      pool('lost', { tags: ['gold'], plugin: null }),
    ];

    it('then every candidate has its own reasons, all of them, and nothing is chosen', () => {
      const result = allocate(request({ poolTags: ['gold'], sizeBytes: 2 * GiB }), candidates);
      expect(result.chosen).toBeNull();
      expect(result.verdicts.map(toAllocationVerdict)).toEqual([
        { poolId: 'id-off', fits: false, reasons: ['disabled', 'lacks tags gold'] },
        { poolId: 'id-far', fits: false, reasons: ['in zone z2, not z1', 'lacks tags gold'] },
        { poolId: 'id-plain', fits: false, reasons: ['lacks tags gold'] },
        { poolId: 'id-tight', fits: false, reasons: ['would exceed 10 % of capacity: 0 B allocated + 2 GiB > 1 GiB'] },
        { poolId: 'id-lost', fits: false, reasons: ['its plugin is not installed in this storage service'] },
      ]);
    });

    it('then the error names every pool with its reasons and carries the verdicts', () => {
      const { verdicts } = allocate(request({ poolTags: ['gold'], sizeBytes: 2 * GiB }), candidates);
      const error = AllocationErrors.noPool('z1', 2 * GiB, 'thin', verdicts);
      expect(error.code).toBe('allocation.no_pool');
      expect(error.category).toBe('capacity');
      expect(error.message).toBe(
        'no storage pool in zone z1 can take a 2 GiB thin volume: ' +
          'off (id-off): disabled; lacks tags gold; far (id-far): in zone z2, not z1; lacks tags gold; plain (id-plain): lacks tags gold; ' +
          'tight (id-tight): would exceed 10 % of capacity: 0 B allocated + 2 GiB > 1 GiB; lost (id-lost): its plugin is not installed in this storage service',
      );
      expect(error.details).toMatchObject({ zoneId: 'z1', candidates: verdicts.map(toAllocationVerdict) });
    });

    it('given a zone without pools, then the error says so', () => {
      expect(AllocationErrors.noPool('z9', GiB, 'thick', []).message).toBe(
        'no storage pool can take a 1 GiB thick volume: zone z9 has no storage pools',
      );
    });
  });

  describe('a named pool that does not fit', () => {
    it('given only capacity in the way, then it is allocation.pool_full (capacity) pointing at the size', () => {
      const v = judgePool(request({ zoneId: undefined }), pool('a', { allocatedBytes: 85 * GiB }));
      const error = AllocationErrors.poolUnfit(v);
      expect(error).toMatchObject({ code: 'allocation.pool_full', category: 'capacity' });
      expect(error.message).toBe('storage pool a (id-a) cannot take this volume: would exceed 85 % of capacity: 85 GiB allocated + 1 GiB > 85 GiB');
      expect(error.details).toMatchObject({ violations: [{ field: 'data.sizeBytes', rule: 'allocation.capacity' }] });
    });
    it('given only IOPS in the way, then it is allocation.pool_full too, pointing at the IOPS limit', () => {
      const v = judgePool(request({ zoneId: undefined, sizeBytes: 8 * GiB, qos: { iops: 200 } }), pool('pf', { plugin: powerflexPlugin, capacityIops: 100 }));
      const error = AllocationErrors.poolUnfit(v);
      expect(error).toMatchObject({ code: 'allocation.pool_full', category: 'capacity' });
      expect(error.details).toMatchObject({ violations: [{ field: 'data.qos.iops', rule: 'allocation.iops' }] });
    });
    it('given a missing feature, then it is allocation.pool_unsuitable (validation) naming each field', () => {
      const v = judgePool(request({ poolTags: ['gold'], qos: { iops: 100 } }), pool('a', { allocatedBytes: 85 * GiB }));
      const error = AllocationErrors.poolUnfit(v);
      expect(error).toMatchObject({ code: 'allocation.pool_unsuitable', category: 'validation' });
      expect((error.details as { violations: { field: string }[] }).violations.map((x) => x.field)).toEqual([
        'data.poolTags',
        'data.qos',
        'data.sizeBytes',
      ]);
    });
  });

  describe('wording', () => {
    it('formats sizes in binary units with one decimal at most', () => {
      expect([0, 512, 1536, GiB, Math.round(9.34 * GiB), 2 ** 40, 2 ** 50].map(formatBytes)).toEqual([
        '0 B',
        '512 B',
        '1.5 KiB',
        '1 GiB',
        '9.3 GiB',
        '1 TiB',
        '1 PiB',
      ]);
    });
    it('describes a fitting pool as fitting', () => {
      expect(describeVerdicts([judgePool(request(), pool('a'))])).toBe('a (id-a): fits');
    });
  });
});
