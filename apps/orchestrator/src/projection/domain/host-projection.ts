import type { HostDeregistered, HostRegistered } from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import type { HostRow } from '../../read-model/domain/rows';
import type { TypedEvent } from './storage-event';

export type HostEvent = Extract<TypedEvent, { type: 'HostRegistered' | 'HostDeregistered' }>;

export function isHostEvent(event: TypedEvent): event is HostEvent {
  return event.type === 'HostRegistered' || event.type === 'HostDeregistered';
}

function registered(current: HostRow | null, d: HostRegistered, at: Date): HostRow {
  return {
    id: d.hostId,
    name: d.name,
    zoneId: d.zoneId,
    clusterId: d.clusterId ?? null,
    hypervisor: d.hypervisor,
    identities: { ...(d.identities ?? {}) },
    status: 'registered',
    version: current?.version ?? 0,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
  };
}

// A deregistered host keeps what it showed: GET /hosts/{id} still answers it.
const deregistered = (current: HostRow, _d: HostDeregistered, at: Date): HostRow => ({ ...current, status: 'deregistered', updatedAt: at });

/**
 * The host after one of its events; undefined when this (or a later) version is already
 * projected, or for a deregistration of a host never seen registered (nothing to list it by).
 */
export function applyHostEvent(current: HostRow | null, event: HostEvent, streamVersion: number, at: Date): HostRow | undefined {
  if (current && current.version >= streamVersion) return undefined;
  let next: HostRow;
  switch (event.type) {
    case 'HostRegistered':
      next = registered(current, event.data, at);
      break;
    case 'HostDeregistered':
      if (!current) return undefined;
      next = deregistered(current, event.data, at);
      break;
    default:
      return assertUnreachable(event);
  }
  return { ...next, version: streamVersion };
}
