import { assertUnreachable, DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type { HostDeregistered, HostIdentities, HostRegistered } from '@strata/contracts';

export type HostEvent = { type: 'HostRegistered'; data: HostRegistered } | { type: 'HostDeregistered'; data: HostDeregistered };

export type HostState = { readonly status: 'absent' } | ({ readonly status: 'registered' | 'deregistered' } & HostRegistered);

export type HostCommand =
  | { readonly type: 'RegisterHost'; readonly host: HostRegistered }
  | { readonly type: 'DeregisterHost'; readonly hostId: string; readonly attachedVolumeIds: readonly string[] };

export const HostErrors = {
  alreadyRegistered: (hostId: string) =>
    new DomainError('host.already_registered', ErrorCategory.Conflict, `host ${hostId} is already registered`, { hostId }),
  notFound: (hostId: string) => new DomainError('host.not_found', ErrorCategory.NotFound, `host ${hostId} is not registered`, { hostId }),
  hasVolumes: (hostId: string, volumeIds: readonly string[]) =>
    new DomainError(
      'host.has_volumes',
      ErrorCategory.IllegalState,
      `host ${hostId} still has ${volumeIds.length} volume(s) attached: ${volumeIds.slice(0, 20).join(', ')}; detach them first`,
      { hostId, volumeIds },
    ),
  identityMissing: (hostId: string, plugin: string, identity: string) =>
    new DomainError(
      'host.identity_missing',
      ErrorCategory.Validation,
      `host ${hostId} has no ${identity}, which a ${plugin} pool needs to grant it access`,
      { hostId, plugin, violations: [{ field: `identities.${identity}`, rule: 'requiredForPlugin', message: `${identity} is needed for ${plugin} pools` }] },
    ),
  outOfScope: (hostId: string, poolId: string, why: string) =>
    new DomainError('host.out_of_scope', ErrorCategory.IllegalState, `host ${hostId} cannot use pool ${poolId}: ${why}`, { hostId, poolId }),
};

export const hostDecider: Decider<HostState, HostCommand, HostEvent> = {
  initialState: () => ({ status: 'absent' }),
  decide(command, state) {
    switch (command.type) {
      case 'RegisterHost':
        if (state.status === 'registered') throw HostErrors.alreadyRegistered(command.host.hostId);
        return [{ type: 'HostRegistered', data: command.host }];
      case 'DeregisterHost':
        if (state.status !== 'registered') throw HostErrors.notFound(command.hostId);
        if (command.attachedVolumeIds.length > 0) throw HostErrors.hasVolumes(state.hostId, command.attachedVolumeIds);
        return [{ type: 'HostDeregistered', data: { hostId: state.hostId } }];
      default:
        return assertUnreachable(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'HostRegistered':
        return { status: 'registered', ...event.data };
      case 'HostDeregistered':
        return state.status === 'absent' ? state : { ...state, status: 'deregistered' };
      default:
        return assertUnreachable(event);
    }
  },
};

export const hostStreamId = (hostId: string) => `host-${hostId}`;

/** Which identity a plugin's driver takes as `host` in grantAccess/revokeAccess. */
const IDENTITY_BY_PLUGIN: Readonly<Record<string, keyof HostIdentities>> = {
  linstor: 'linstorNode',
  powerflex: 'powerflexSdc',
  storpool: 'storpoolClientId',
};

/**
 * The host's name on a pool's backend: its LINSTOR node, PowerFlex SDC or StorPool client
 * id; file pools need none and get the host id. A pool whose plugin needs an identity the
 * host lacks is refused, naming the identity.
 */
export function backendHostFor(plugin: string, host: HostRegistered): string {
  const identity = IDENTITY_BY_PLUGIN[plugin];
  if (!identity) return host.hostId;
  const value = host.identities[identity];
  if (value === undefined || value === '') throw HostErrors.identityMissing(host.hostId, plugin, identity);
  return String(value);
}

/** A host may use a pool of its zone, of its cluster when the pool is cluster-scoped, and of its hypervisor. */
export function checkHostScope(
  host: HostRegistered,
  pool: { poolId: string; zoneId: string; clusterId: string | null; hypervisors: readonly string[] },
): void {
  if (host.zoneId !== pool.zoneId) throw HostErrors.outOfScope(host.hostId, pool.poolId, `the host is in zone ${host.zoneId}, the pool in ${pool.zoneId}`);
  if (pool.clusterId !== null && host.clusterId !== pool.clusterId) {
    throw HostErrors.outOfScope(host.hostId, pool.poolId, `the pool serves cluster ${pool.clusterId}, the host is in ${host.clusterId ?? 'no cluster'}`);
  }
  if (pool.hypervisors.length > 0 && !pool.hypervisors.includes(host.hypervisor)) {
    throw HostErrors.outOfScope(host.hostId, pool.poolId, `the pool serves ${pool.hypervisors.join(', ')}, the host runs ${host.hypervisor}`);
  }
}
