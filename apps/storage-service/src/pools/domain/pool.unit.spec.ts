import { deciderSpec } from '@strata/kernel';
import { poolDecider } from './pool';

const pool = {
  poolId: '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66',
  name: 'fast-1',
  plugin: 'file',
  zoneId: 'zone-1',
  clusterId: null,
  tags: ['ssd'],
  config: { path: '/srv/pool' },
  capacityBytes: 10 * 2 ** 30,
  usedBytes: 2 ** 30,
};

describe('pool decider', () => {
  it('adds a pool', () => {
    deciderSpec(poolDecider).given([]).when({ type: 'AddStoragePool', pool }).then([{ type: 'StoragePoolAdded', data: pool }]);
  });
  it('refuses to add the same pool twice', () => {
    deciderSpec(poolDecider)
      .given([{ type: 'StoragePoolAdded', data: pool }])
      .when({ type: 'AddStoragePool', pool })
      .thenThrows('pool.already_exists', new RegExp(pool.poolId));
  });
});
