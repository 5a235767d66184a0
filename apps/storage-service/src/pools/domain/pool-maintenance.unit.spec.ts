import { deciderSpec, fold } from '@strata/kernel';
import { poolDecider, type PoolEvent } from './pool';

const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const otherPoolId = '9c2f4d1e-5b6a-4e7d-8c9b-0a1b2c3d4e5f';
const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const added: PoolEvent = {
  type: 'StoragePoolAdded',
  data: { poolId, name: 'fast-1', plugin: 'file', zoneId: 'z1', clusterId: null, tags: [], config: {}, capacityBytes: 2 ** 30, usedBytes: 0 },
};
const disabled: PoolEvent = { type: 'StoragePoolDisabled', data: { poolId, reason: 'firmware' } };
const moves = [{ volumeId, destinationPoolId: otherPoolId, mode: 'copy' as const }];
const enter = { type: 'EnterPoolMaintenance' as const, poolId, moves, blockers: [], dataMoverHostId: null };
const requested: PoolEvent = { type: 'PoolMaintenanceRequested', data: { poolId, previousStatus: 'enabled', moves, dataMoverHostId: null } };
const error = { code: 'allocation.no_pool', category: 'capacity', message: 'no pool fits' };
const spec = deciderSpec(poolDecider);

describe('pool decider: maintenance', () => {
  it('records the plan and closes the pool while its volumes move', () => {
    spec.given([added]).when(enter).then([requested]);
    expect(fold(poolDecider, [added, requested])).toMatchObject({ status: 'maintenance', maintenance: { phase: 'entering', previousStatus: 'enabled' } });
  });
  it('is in maintenance at once when the pool holds no volume', () => {
    spec
      .given([added])
      .when({ ...enter, moves: [] })
      .then([
        { type: 'PoolMaintenanceRequested', data: { poolId, previousStatus: 'enabled', moves: [], dataMoverHostId: null } },
        { type: 'PoolMaintenanceEntered', data: { poolId } },
      ]);
  });
  it('refuses with every volume that cannot move and why', () => {
    spec
      .given([added])
      .when({ ...enter, blockers: [{ volumeId, reason: 'it is attached to h1: a block copy cannot follow writes' }] })
      .thenThrows('pool.cannot_evacuate', new RegExp(`${volumeId}: it is attached`));
  });
  it('refuses entering twice, and enabling or disabling meanwhile', () => {
    spec.given([added, requested]).when(enter).thenThrows('pool.in_maintenance');
    spec.given([added, requested]).when({ type: 'EnableStoragePool', poolId }).thenThrows('pool.in_maintenance', /cancel maintenance/);
    spec.given([added, requested]).when({ type: 'DisableStoragePool', poolId, reason: null }).thenThrows('pool.in_maintenance');
  });
  it('is in maintenance once the volumes are off, and only while entering', () => {
    spec.given([added, requested]).when({ type: 'RecordPoolMaintenanceEntered', poolId }).then([{ type: 'PoolMaintenanceEntered', data: { poolId } }]);
    spec.given([added]).when({ type: 'RecordPoolMaintenanceEntered', poolId }).thenThrows('pool.maintenance_not_entering');
  });
  it('records a failed move and stays closed', () => {
    const failed: PoolEvent = { type: 'PoolMaintenanceFailed', data: { poolId, volumeId, error } };
    spec.given([added, requested]).when({ type: 'RecordPoolMaintenanceFailed', poolId, volumeId, error }).then([failed]);
    expect(fold(poolDecider, [added, requested, failed])).toMatchObject({ status: 'maintenance', maintenance: { phase: 'failed', error } });
  });
  it('cancels back to the status the pool had before', () => {
    const fromDisabled: PoolEvent = { type: 'PoolMaintenanceRequested', data: { poolId, previousStatus: 'disabled', moves, dataMoverHostId: null } };
    spec.given([added, disabled]).when(enter).then([fromDisabled]);
    spec
      .given([added, disabled, fromDisabled])
      .when({ type: 'CancelPoolMaintenance', poolId })
      .then([{ type: 'PoolMaintenanceCancelled', data: { poolId, restoredStatus: 'disabled' } }]);
    const cancelled: PoolEvent = { type: 'PoolMaintenanceCancelled', data: { poolId, restoredStatus: 'disabled' } };
    expect(fold(poolDecider, [added, disabled, fromDisabled, cancelled])).toMatchObject({ status: 'disabled', maintenance: null, disabledReason: 'firmware' });
    spec.given([added]).when({ type: 'CancelPoolMaintenance', poolId }).thenThrows('pool.not_in_maintenance');
  });
  it('lets a pool in maintenance with nothing on it be deleted', () => {
    spec.given([added, requested, { type: 'PoolMaintenanceEntered', data: { poolId } }]).when({ type: 'DeleteStoragePool', poolId, liveVolumeIds: [] }).then([
      { type: 'StoragePoolDeleted', data: { poolId } },
    ]);
  });
});
