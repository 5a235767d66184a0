import { DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type { StoragePoolAdded } from '@strata/contracts';

export type PoolEvent = { type: 'StoragePoolAdded'; data: StoragePoolAdded };

export type PoolState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'active' } & StoragePoolAdded);

/** The command as the decider sees it: config already validated and capacity already measured. */
export interface AddStoragePool {
  readonly type: 'AddStoragePool';
  readonly pool: StoragePoolAdded;
}
export type PoolCommand = AddStoragePool;

export const PoolErrors = {
  alreadyExists: (poolId: string) =>
    new DomainError('pool.already_exists', ErrorCategory.Conflict, `storage pool ${poolId} already exists`, { poolId }),
  notFound: (poolId: string) =>
    new DomainError('pool.not_found', ErrorCategory.NotFound, `storage pool ${poolId} does not exist`, { poolId }),
};

export const poolDecider: Decider<PoolState, PoolCommand, PoolEvent> = {
  initialState: () => ({ status: 'absent' }),
  decide(command, state) {
    switch (command.type) {
      case 'AddStoragePool':
        if (state.status !== 'absent') throw PoolErrors.alreadyExists(command.pool.poolId);
        return [{ type: 'StoragePoolAdded', data: command.pool }];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'StoragePoolAdded':
        return { status: 'active', ...event.data };
    }
  },
};

export const poolStreamId = (poolId: string) => `pool-${poolId}`;
