import type { PoolRow } from '../../read-model/domain/rows';
import { toPoolView } from './pool.view';

const POOL = '00000000-0000-4000-8000-0000000000b1';
const VOLUME = '00000000-0000-4000-8000-0000000000c1';
const at = new Date('2026-11-21T07:00:00.000Z');

const row = (over: Partial<PoolRow> = {}): PoolRow => ({
  id: POOL, name: 'fast-01', plugin: 'file', zoneId: 'z1', clusterId: null, tags: [], config: {}, status: 'enabled', disabledReason: null,
  hypervisors: [], capacityIops: null, overProvisioningFactor: 1, allocationDisableThreshold: 0.85, capacityBytes: 100, usedBytes: 0,
  capacityMeasuredAt: at, allocatedBytes: 0, volumeCount: 0, maintenancePhase: null, maintenanceError: null, version: 1, createdAt: at, updatedAt: at,
  ...over,
});

describe('GET /pools/{id} answer: maintenance', () => {
  it('is null for a pool that is not in maintenance', () => {
    expect(toPoolView(row()).maintenance).toBeNull();
    expect(toPoolView(row({ status: 'disabled', disabledReason: 'x' })).maintenance).toBeNull();
  });

  it('shows the phase while the pool is in maintenance', () => {
    expect(toPoolView(row({ status: 'maintenance', maintenancePhase: 'entering' }))).toMatchObject({ status: 'maintenance', maintenance: { phase: 'entering', error: null } });
    expect(toPoolView(row({ status: 'maintenance', maintenancePhase: 'in_maintenance' })).maintenance).toEqual({ phase: 'in_maintenance', error: null });
  });

  it('shows why it failed, and the volume whose move failed', () => {
    const error = { code: 'backend.unavailable', category: 'backend', message: 'copy failed', volumeId: VOLUME };
    expect(toPoolView(row({ status: 'maintenance', maintenancePhase: 'failed', maintenanceError: error })).maintenance).toEqual({ phase: 'failed', error });
  });
});
