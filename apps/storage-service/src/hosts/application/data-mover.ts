import type { Logger } from '@nestjs/common';
import { isDomainError } from '@strata/kernel';
import type { PrimaryStorageDriver } from '@strata/plugin-sdk';
import { withBackendRetry } from '@strata/pool-access';
import type { PoolState } from '../../pools/domain/pool';
import { PoolReader } from '../../pools/application/pool-reader';
import { VolumeErrors } from '../../volumes/domain/volume';
import { backendHostFor, checkHostScope } from '../domain/host';
import { HostReader } from './host.handlers';

/**
 * The data mover: the registered host that reads or writes a volume's blocks for the
 * storage service (a volume filled from a disk image, a volume exported to one). Shared by
 * CreateVolume fromImage and ExportVolume so both judge and use it the same way.
 */

/** The data mover named by a command, else the service's default (STRATA_DATA_MOVER_HOST_ID); null when neither is set. */
export function dataMoverHostIdOf(named: string | undefined): string | null {
  return named ?? (process.env.STRATA_DATA_MOVER_HOST_ID?.trim() || null);
}

/**
 * Checks the host can use the (enabled) pool, as an attach would: registered, in scope, with
 * the identity the plugin needs. Refusals name `field` (the command's dataMoverHostId).
 */
export async function requireDataMover(hosts: HostReader, pools: PoolReader, hostId: string | null, poolId: string, field: string): Promise<string> {
  if (hostId === null) throw VolumeErrors.dataMoverRequired(field);
  const host = await hosts.get(hostId);
  if (host.status !== 'registered') throw VolumeErrors.dataMoverUnknown(hostId, 'it is not registered', field);
  const pool = (await pools.get(poolId)) as Exclude<PoolState, { status: 'absent' | 'deleted' }>;
  try {
    checkHostScope(host, pool);
    backendHostFor(pool.plugin, host);
  } catch (error) {
    if (isDomainError(error)) throw VolumeErrors.dataMoverUnknown(hostId, error.message, field);
    throw error;
  }
  return hostId;
}

/** The data mover's name on the pool's backend, at the time of the work (it may have gone since the intent). */
export async function dataMoverBackendHost(hosts: HostReader, hostId: string, pool: Exclude<PoolState, { status: 'absent' }>): Promise<string> {
  const host = await hosts.get(hostId);
  if (host.status !== 'registered') throw new Error(`data mover host ${hostId} is not registered`);
  if (pool.status === 'deleted') throw new Error(`pool ${pool.poolId} is deleted`);
  return backendHostFor(pool.plugin, host);
}

/**
 * Maps the volume to the data mover, runs the work on its device, and unmaps it on every
 * path: the data mover must not keep the device of a volume it is not working on.
 */
export async function withDataMoverAccess<T>(
  driver: PrimaryStorageDriver,
  backendName: string,
  moverHost: string,
  log: Logger,
  work: (devicePath: string) => Promise<T>,
): Promise<T> {
  const grant = await withBackendRetry(() => driver.grantAccess(backendName, moverHost));
  try {
    return await work(grant.devicePath);
  } finally {
    try {
      await withBackendRetry(() => driver.revokeAccess(backendName, moverHost));
    } catch (error) {
      log.warn(`could not unmap ${backendName} from the data mover ${moverHost}: ${(error as Error).message}`);
    }
  }
}
