import { deciderSpec } from '@strata/kernel';
import { poolDecider, type PoolEvent } from './pool';

const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const pool = {
  poolId,
  name: 'fast-1',
  plugin: 'file',
  zoneId: 'zone-1',
  clusterId: null,
  tags: ['ssd'],
  config: { path: '/srv/pool' },
  capacityBytes: 10 * 2 ** 30,
  usedBytes: 2 ** 30,
};
const added: PoolEvent = { type: 'StoragePoolAdded', data: pool };
const disabled: PoolEvent = { type: 'StoragePoolDisabled', data: { poolId, reason: 'firmware upgrade' } };
const deleted: PoolEvent = { type: 'StoragePoolDeleted', data: { poolId } };
const spec = deciderSpec(poolDecider);

describe('pool decider', () => {
  describe('AddStoragePool', () => {
    it('adds a pool', () => {
      spec.given([]).when({ type: 'AddStoragePool', pool }).then([added]);
    });
    it('refuses to add the same pool twice', () => {
      spec.given([added]).when({ type: 'AddStoragePool', pool }).thenThrows('pool.already_exists', new RegExp(poolId));
    });
  });

  describe('UpdateStoragePool', () => {
    it('records only the settings that change, defaults included', () => {
      spec
        .given([added])
        .when({ type: 'UpdateStoragePool', poolId, settings: { name: 'fast-1', tags: ['ssd', 'gold'], overProvisioningFactor: 2, allocationDisableThreshold: 0.85 } })
        .then([{ type: 'StoragePoolUpdated', data: { poolId, changes: { tags: ['ssd', 'gold'], overProvisioningFactor: 2 } } }]);
    });
    it('refuses an update that changes nothing, so its job does not hang', () => {
      spec.given([added]).when({ type: 'UpdateStoragePool', poolId, settings: { name: 'fast-1' } }).thenThrows('pool.unchanged');
    });
    it('applies earlier updates before comparing', () => {
      spec
        .given([added, { type: 'StoragePoolUpdated', data: { poolId, changes: { name: 'renamed' } } }])
        .when({ type: 'UpdateStoragePool', poolId, settings: { name: 'renamed' } })
        .thenThrows('pool.unchanged');
    });
    it('refuses an unknown pool', () => {
      spec.given([]).when({ type: 'UpdateStoragePool', poolId, settings: { name: 'x' } }).thenThrows('pool.not_found', new RegExp(poolId));
    });
  });

  describe('enable and disable', () => {
    it('disables with a reason and enables again', () => {
      spec.given([added]).when({ type: 'DisableStoragePool', poolId, reason: 'firmware upgrade' }).then([disabled]);
      spec.given([added, disabled]).when({ type: 'EnableStoragePool', poolId }).then([{ type: 'StoragePoolEnabled', data: { poolId } }]);
    });
    it('refuses to enable an enabled pool or disable a disabled one', () => {
      spec.given([added]).when({ type: 'EnableStoragePool', poolId }).thenThrows('pool.already_enabled');
      spec.given([added, disabled]).when({ type: 'DisableStoragePool', poolId, reason: null }).thenThrows('pool.already_disabled');
    });
  });

  describe('DeleteStoragePool', () => {
    it('deletes a pool without volumes', () => {
      spec.given([added]).when({ type: 'DeleteStoragePool', poolId, liveVolumeIds: [] }).then([deleted]);
    });
    it('refuses while volumes remain, listing them', () => {
      spec
        .given([added])
        .when({ type: 'DeleteStoragePool', poolId, liveVolumeIds: ['v-1', 'v-2'] })
        .thenThrows('pool.has_volumes', /2 volume\(s\): v-1, v-2/);
    });
    it('treats a deleted pool as gone', () => {
      spec.given([added, deleted]).when({ type: 'EnableStoragePool', poolId }).thenThrows('pool.deleted');
      spec.given([added, deleted]).when({ type: 'DeleteStoragePool', poolId, liveVolumeIds: [] }).thenThrows('pool.deleted');
    });
  });

  describe('capacity', () => {
    const measure = (usedBytes: number, onDemand: boolean, capacityBytes = pool.capacityBytes) =>
      ({ type: 'RecordPoolCapacity', poolId, capacityBytes, usedBytes, onDemand }) as const;
    it('records a periodic measurement only when it moved by more than 0.1 % of capacity', () => {
      spec.given([added]).when(measure(pool.usedBytes + 1024, false)).then([]);
      spec
        .given([added])
        .when(measure(pool.usedBytes + 2 ** 28, false))
        .then([{ type: 'StoragePoolCapacityRefreshed', data: { poolId, capacityBytes: pool.capacityBytes, usedBytes: pool.usedBytes + 2 ** 28 } }]);
    });
    it('records a grown capacity however small the change', () => {
      spec.given([added]).when(measure(pool.usedBytes, false, pool.capacityBytes + 512)).then([
        { type: 'StoragePoolCapacityRefreshed', data: { poolId, capacityBytes: pool.capacityBytes + 512, usedBytes: pool.usedBytes } },
      ]);
    });
    it('always records a measurement someone asked for', () => {
      spec.given([added]).when(measure(pool.usedBytes, true)).then([
        { type: 'StoragePoolCapacityRefreshed', data: { poolId, capacityBytes: pool.capacityBytes, usedBytes: pool.usedBytes } },
      ]);
    });
  });
});
