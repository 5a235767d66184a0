import { deciderSpec } from '@strata/kernel';
import { backendHostFor, checkHostScope, hostDecider } from './host';

const hostId = '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d';
const host = {
  hostId,
  name: 'kvm-01',
  zoneId: 'z1',
  clusterId: 'c1',
  hypervisor: 'kvm',
  identities: { linstorNode: 'node1', storpoolClientId: 7 },
};
const spec = deciderSpec(hostDecider);

describe('host decider', () => {
  it('registers a host once', () => {
    spec.given([]).when({ type: 'RegisterHost', host }).then([{ type: 'HostRegistered', data: host }]);
    spec.given([{ type: 'HostRegistered', data: host }]).when({ type: 'RegisterHost', host }).thenThrows('host.already_registered');
  });
  it('deregisters a host without volumes, and refuses one with volumes attached, listing them', () => {
    spec.given([{ type: 'HostRegistered', data: host }]).when({ type: 'DeregisterHost', hostId, attachedVolumeIds: [] }).then([
      { type: 'HostDeregistered', data: { hostId } },
    ]);
    spec.given([{ type: 'HostRegistered', data: host }]).when({ type: 'DeregisterHost', hostId, attachedVolumeIds: ['v1'] }).thenThrows('host.has_volumes', /v1/);
  });
});

describe('backend identity of a host', () => {
  it('is the LINSTOR node, the StorPool client id, or the host id for file pools', () => {
    expect(backendHostFor('linstor', host)).toBe('node1');
    expect(backendHostFor('storpool', host)).toBe('7');
    expect(backendHostFor('file', host)).toBe(hostId);
  });
  it('is refused, naming the identity, when the host lacks it', () => {
    expect(() => backendHostFor('powerflex', host)).toThrow(/powerflexSdc/);
  });
});

describe('host scope', () => {
  const pool = { poolId: 'p1', zoneId: 'z1', clusterId: null, hypervisors: [] as string[] };
  it('lets a host use a zone-wide pool of its zone', () => {
    expect(() => checkHostScope(host, pool)).not.toThrow();
  });
  it('refuses another zone, another cluster, another hypervisor, saying which', () => {
    expect(() => checkHostScope(host, { ...pool, zoneId: 'z2' })).toThrow(/zone z1, the pool in z2/);
    expect(() => checkHostScope(host, { ...pool, clusterId: 'c2' })).toThrow(/cluster c2/);
    expect(() => checkHostScope(host, { ...pool, hypervisors: ['vmware'] })).toThrow(/vmware/);
  });
});
