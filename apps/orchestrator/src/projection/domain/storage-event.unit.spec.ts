import { randomUUID } from 'node:crypto';
import type { Envelope } from '@strata/contracts';
import { readEvent } from './storage-event';

const volumeId = randomUUID();
const poolId = randomUUID();
const envelope = (over: Partial<Envelope<string, Record<string, unknown>>> = {}): Envelope<string, Record<string, unknown>> => ({
  messageId: randomUUID(),
  kind: 'event',
  type: 'VolumeDeleted',
  schemaVersion: 1,
  aggregateId: volumeId,
  streamVersion: 4,
  occurredAt: '2026-01-01T00:00:00.000Z',
  correlationId: 'corr',
  causationId: 'job-1',
  tenant: 'acme',
  data: { volumeId, poolId, sizeBytes: 1 },
  ...over,
});

describe('readEvent', () => {
  it('reads a well-formed event with its cause, tenant and time', () => {
    const read = readEvent(envelope());
    expect(read).toMatchObject({ ok: true, event: { causationId: 'job-1', tenant: 'acme', typed: { type: 'VolumeDeleted' } } });
    expect(read.ok && read.event.occurredAt.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('reads an unknown event type untyped, for the history only', () => {
    const read = readEvent(envelope({ type: 'VolumeSnapshotTaken', data: { anything: true } }));
    expect(read).toMatchObject({ ok: true, event: { typed: null } });
  });

  it.each([
    ['a command', { kind: 'command' as const }, /kind is "command"/],
    ['no occurredAt', { occurredAt: 'yesterday' }, /occurredAt/],
    ['a non-uuid aggregate', { aggregateId: 'vol-1' }, /aggregateId must be a UUID/],
    ['no stream version', { streamVersion: null }, /streamVersion/],
    ['data that is not an object', { data: [] as unknown as Record<string, unknown> }, /data must be an object/],
    ['a payload missing what the projection reads', { data: { volumeId: 'x', sizeBytes: 1 } }, /data.volumeId must be a UUID; data.poolId must be a UUID/],
  ])('refuses %s, saying why', (_what, over, reason) => {
    const read = readEvent(envelope(over));
    expect(read.ok).toBe(false);
    expect(!read.ok && read.reason).toMatch(reason);
  });

  it('accepts a rejection outside any aggregate stream', () => {
    const read = readEvent(
      envelope({
        type: 'CommandRejected',
        aggregateId: 'not-a-uuid',
        streamVersion: 1,
        data: { commandId: 'cmd-1', commandType: 'CreateVolume', aggregateId: null, error: { code: 'c', category: 'validation', message: 'm' }, violations: [] },
      }),
    );
    expect(read.ok).toBe(true);
  });

  describe('pool lifecycle events', () => {
    const pool = (type: string, data: Record<string, unknown>) => readEvent(envelope({ type, aggregateId: poolId, streamVersion: 2, data: { poolId, ...data } }));

    it('reads each of them typed', () => {
      const cases: [string, Record<string, unknown>][] = [
        ['StoragePoolUpdated', { changes: { name: 'n', tags: [], hypervisors: ['kvm'], capacityIops: null, overProvisioningFactor: 2, allocationDisableThreshold: 0.9 } }],
        ['StoragePoolEnabled', {}],
        ['StoragePoolDisabled', { reason: 'maintenance' }],
        ['StoragePoolDisabled', { reason: null }],
        ['StoragePoolDeleted', {}],
        ['StoragePoolCapacityRefreshed', { capacityBytes: 10, usedBytes: 0 }],
      ];
      for (const [type, data] of cases) expect(pool(type, data)).toMatchObject({ ok: true, event: { typed: { type } } });
    });

    it.each([
      ['an update whose changes is not an object', 'StoragePoolUpdated', { changes: 'name=x' }, /data.changes must be an object of pool settings/],
      ['an update whose tags are not strings', 'StoragePoolUpdated', { changes: { tags: [1] } }, /data.changes must be/],
      ['an update whose factor is not a number', 'StoragePoolUpdated', { changes: { overProvisioningFactor: '2' } }, /data.changes must be/],
      ['a disable whose reason is not text', 'StoragePoolDisabled', { reason: 7 }, /data.reason must be a string or null/],
      ['a refresh without usage', 'StoragePoolCapacityRefreshed', { capacityBytes: 10 }, /data.usedBytes must be a non-negative integer/],
      ['a pool added with hypervisors that are not a list', 'StoragePoolAdded', { name: 'p', plugin: 'file', zoneId: 'z', hypervisors: 'kvm' }, /data.hypervisors must be an array of strings/],
      ['a pool added with a fractional IOPS', 'StoragePoolAdded', { name: 'p', plugin: 'file', zoneId: 'z', capacityIops: 1.5 }, /data.capacityIops must be a positive integer or null/],
    ])('refuses %s (it could never be written)', (_what, type, data, reason) => {
      const read = pool(type, data);
      expect(read.ok).toBe(false);
      expect(!read.ok && read.reason).toMatch(reason);
    });

    it('refuses a lifecycle event whose poolId is not a UUID', () => {
      expect(readEvent(envelope({ type: 'StoragePoolDeleted', aggregateId: poolId, data: { poolId: 'pool-1' } })).ok).toBe(false);
    });
  });

  describe('volume operations, hosts and drift', () => {
    const hostId = randomUUID();
    const read = (type: string, aggregateId: string, data: Record<string, unknown>) => readEvent(envelope({ type, aggregateId, streamVersion: 3, data }));
    const err = { code: 'c', category: 'backend', message: 'm' };

    it('reads each of them typed', () => {
      const cases: [string, string, Record<string, unknown>][] = [
        ['VolumeResizeRequested', volumeId, { volumeId, fromBytes: 1, toBytes: 2, allowShrink: false }],
        ['VolumeResized', volumeId, { volumeId, sizeBytes: 2 }],
        ['VolumeResizeFailed', volumeId, { volumeId, error: err }],
        ['VolumeAttachRequested', volumeId, { volumeId, hostId, backendHost: 'n1' }],
        ['VolumeAttached', volumeId, { volumeId, hostId, devicePath: '/dev/sdb' }],
        ['VolumeAttachFailed', volumeId, { volumeId, hostId, error: err }],
        ['VolumeDetachRequested', volumeId, { volumeId, hostId, backendHost: 'n1' }],
        ['VolumeDetached', volumeId, { volumeId, hostId }],
        ['VolumeDetachFailed', volumeId, { volumeId, hostId, error: err }],
        ['VolumeQosChangeRequested', volumeId, { volumeId, qos: { iops: 10, tier: null } }],
        ['VolumeQosChanged', volumeId, { volumeId, qos: {} }],
        ['VolumeQosChangeFailed', volumeId, { volumeId, error: err }],
        ['VolumeManaged', volumeId, { volumeId, poolId, name: 'n', backendName: 'b', sizeBytes: 1, path: null }],
        ['HostRegistered', hostId, { hostId, name: 'h', zoneId: 'z', clusterId: null, hypervisor: 'kvm', identities: { powerflexSdc: 'abc' } }],
        ['HostDeregistered', hostId, { hostId }],
        ['PoolDriftDetected', poolId, { poolId, orphans: [{ backendName: 'x', sizeBytes: 1 }], missing: [{ volumeId, backendName: 'y' }] }],
        ['PoolDriftCleared', poolId, { poolId }],
        ['OrphanRemovalRequested', poolId, { poolId, backendName: 'x' }],
        ['OrphanRemoved', poolId, { poolId, backendName: 'x' }],
        ['OrphanRemovalFailed', poolId, { poolId, backendName: 'x', error: err }],
      ];
      for (const [type, aggregateId, data] of cases) expect([type, read(type, aggregateId, data)]).toMatchObject([type, { ok: true, event: { typed: { type } } }]);
    });

    it.each([
      ['a resize to a fractional size', 'VolumeResized', { volumeId, sizeBytes: 1.5 }, /data.sizeBytes must be a non-negative integer/],
      ['an attach without a device path', 'VolumeAttached', { volumeId, hostId }, /data.devicePath must be a string/],
      ['QoS with a negative IOPS', 'VolumeQosChanged', { volumeId, qos: { iops: -1 } }, /data.qos must be QoS limits/],
      ['a host whose identities are not an object', 'HostRegistered', { hostId, name: 'h', zoneId: 'z', hypervisor: 'kvm', identities: 'n1' }, /data.identities/],
      ['drift whose orphans lack sizes', 'PoolDriftDetected', { poolId, orphans: [{ backendName: 'x' }], missing: [] }, /data.orphans must be/],
      ['a rejection whose details are not an object', 'CommandRejected', { commandId: 'c', commandType: 'T', error: err, violations: [], details: 'x' }, /data.details must be an object/],
    ])('refuses %s', (_what, type, data, reason) => {
      const result = read(type, randomUUID(), data);
      expect(!result.ok && result.reason).toMatch(reason);
    });
  });

  describe('deferred creation (VolumeAllocated)', () => {
    const allocated = {
      volumeId, name: 'data-1', poolId, sizeBytes: 1024, volumeType: 'DATA', backendName: `vol-${volumeId}`, provisioning: 'thin', qos: null,
      allocation: { policy: 'first-fit', candidates: [{ poolId, fits: true, reasons: [] }] },
    };
    const read = (data: Record<string, unknown>) => readEvent(envelope({ type: 'VolumeAllocated', streamVersion: 1, data }));

    it('reads VolumeAllocated typed, with the fields of a creation request', () => {
      expect(read(allocated)).toMatchObject({ ok: true, event: { typed: { type: 'VolumeAllocated', data: allocated } } });
      // As for VolumeCreationRequested, only what the projection reads is required.
      const { volumeId: id, name, poolId: pool, sizeBytes, backendName } = allocated;
      expect(read({ volumeId: id, name, poolId: pool, sizeBytes, backendName })).toMatchObject({ ok: true, event: { typed: { type: 'VolumeAllocated' } } });
    });

    it.each([
      ['without its pool', { ...allocated, poolId: undefined }, /data.poolId must be a UUID/],
      ['with a fractional size', { ...allocated, sizeBytes: 1.5 }, /data.sizeBytes must be a non-negative integer/],
      ['without its name', { ...allocated, name: 7 }, /data.name must be a string/],
      ['without its backend name', { ...allocated, backendName: null }, /data.backendName must be a string/],
      ['with a volume id that is not a UUID', { ...allocated, volumeId: 'vol-1' }, /data.volumeId must be a UUID/],
    ])('refuses a VolumeAllocated %s', (_what, data, reason) => {
      const result = read(data);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toMatch(reason);
    });
  });

  describe('volume migration and pool maintenance', () => {
    const toPoolId = randomUUID();
    const read = (type: string, aggregateId: string, data: Record<string, unknown>) => readEvent(envelope({ type, aggregateId, streamVersion: 5, data }));
    const err = { code: 'c', category: 'backend', message: 'm' };
    const requested = {
      volumeId, poolId, toPoolId, mode: 'copy', sourceBackendName: 'a', destinationBackendName: 'b', sizeBytes: 1, nativeTarget: null,
      dataMover: { hostId: randomUUID(), sourceBackendHost: 'n1', destinationBackendHost: 'n2' }, allocation: null,
    };
    const migrated = { volumeId, fromPoolId: poolId, toPoolId, mode: 'native', sourceBackendName: 'a', backendName: 'a', sizeBytes: 8, path: null };

    it('reads each of them typed', () => {
      const cases: [string, string, Record<string, unknown>][] = [
        ['VolumeMigrationRequested', volumeId, requested],
        ['VolumeMigrationProgressed', volumeId, { volumeId, toPoolId, copiedBytes: 1, totalBytes: 2, percent: 50 }],
        ['VolumeMigrated', volumeId, migrated],
        ['VolumeMigrated', volumeId, { ...migrated, path: '/dev/x' }],
        ['VolumeMigrationFailed', volumeId, { volumeId, poolId, toPoolId, error: err }],
        ['VolumeMigrationSourceDeleted', volumeId, { volumeId, poolId, backendName: 'a' }],
        ['VolumeMigrationSourceDeletionFailed', volumeId, { volumeId, poolId, backendName: 'a', error: err }],
        ['PoolMaintenanceRequested', poolId, { poolId, previousStatus: 'enabled', moves: [{ volumeId, destinationPoolId: toPoolId, mode: 'copy' }], dataMoverHostId: null }],
        ['PoolMaintenanceEntered', poolId, { poolId }],
        ['PoolMaintenanceFailed', poolId, { poolId, volumeId, error: err }],
        ['PoolMaintenanceFailed', poolId, { poolId, volumeId: null, error: err }],
        ['PoolMaintenanceCancelled', poolId, { poolId, restoredStatus: 'disabled' }],
      ];
      for (const [type, aggregateId, data] of cases) expect([type, read(type, aggregateId, data)]).toMatchObject([type, { ok: true, event: { typed: { type } } }]);
    });

    it.each([
      ['a migration of an unknown mode', 'VolumeMigrationRequested', { ...requested, mode: 'rsync' }, /data.mode must be "native" or "copy"/],
      ['a migration without its destination', 'VolumeMigrationRequested', { ...requested, toPoolId: undefined }, /data.toPoolId must be a UUID/],
      ['progress that is not a number', 'VolumeMigrationProgressed', { volumeId, toPoolId, percent: '50%' }, /data.percent must be a number/],
      ['a switch to a fractional size', 'VolumeMigrated', { ...migrated, sizeBytes: 1.5 }, /data.sizeBytes must be a non-negative integer/],
      ['a switch without the pool it left', 'VolumeMigrated', { ...migrated, fromPoolId: 'p1' }, /data.fromPoolId must be a UUID/],
      ['a failed migration without its error', 'VolumeMigrationFailed', { volumeId, poolId, toPoolId }, /data.error must be an error/],
      ['a maintenance failure naming a volume by something else than its id', 'PoolMaintenanceFailed', { poolId, volumeId: 'v1', error: err }, /data.volumeId must be a UUID or null/],
      ['a cancel restoring a status a pool cannot return to', 'PoolMaintenanceCancelled', { poolId, restoredStatus: 'deleted' }, /data.restoredStatus must be "enabled" or "disabled"/],
    ])('refuses %s', (_what, type, data, reason) => {
      const result = read(type, randomUUID(), data);
      expect(!result.ok && result.reason).toMatch(reason);
    });
  });
});

describe('readEvent: snapshot events', () => {
  const snapshotId = randomUUID();
  const snapshotEnvelope = (type: string, data: Record<string, unknown>) => envelope({ type, aggregateId: snapshotId, streamVersion: 1, data });

  it('types the snapshot events by what the projection reads', () => {
    const requested = { snapshotId, volumeId, name: 's-1', poolId, volumeBackendName: 'v', backendName: 'b', policyId: null, dueAt: null };
    expect(readEvent(snapshotEnvelope('SnapshotRequested', requested))).toMatchObject({ ok: true, event: { typed: { type: 'SnapshotRequested' } } });
    expect(readEvent(snapshotEnvelope('SnapshotCreated', { snapshotId, volumeId, sizeBytes: 5 }))).toMatchObject({ ok: true, event: { typed: { type: 'SnapshotCreated' } } });
  });

  it.each([
    ['SnapshotRequested', { snapshotId, volumeId, name: 's', poolId: 'pool-1', backendName: 'b', dueAt: 'soon' }, /data.poolId must be a UUID; data.dueAt must be an ISO 8601 timestamp or null/],
    ['SnapshotCreated', { snapshotId, volumeId, sizeBytes: -1 }, /data.sizeBytes must be a non-negative integer/],
    ['SnapshotRevertFailed', { snapshotId: 'x', volumeId, error: 'boom' }, /data.snapshotId must be a UUID; data.error must be an error/],
  ])('refuses a %s missing what the projection reads', (type, data, reason) => {
    const read = readEvent(snapshotEnvelope(type, data));
    expect(read.ok).toBe(false);
    expect(!read.ok && read.reason).toMatch(reason);
  });
});

describe('readEvent: snapshot policy events', () => {
  const policyId = randomUUID();
  const policyEnvelope = (type: string, data: Record<string, unknown>) => envelope({ type, aggregateId: policyId, streamVersion: 1, data });
  const schedule = { kind: 'weekly', dayOfWeek: 0, time: '03:00', timeZone: 'UTC' };

  it('types the three policy events', () => {
    for (const [type, data] of [
      ['SnapshotPolicyCreated', { policyId, volumeId, schedule, retention: 3, createdAt: '2026-11-21T07:00:00.000Z' }],
      ['SnapshotPolicyRunTaken', { policyId, volumeId, dueAt: '2026-11-22T03:00:00.000Z', snapshotId: randomUUID() }],
      ['SnapshotPolicyDeleted', { policyId, volumeId }],
    ] as const) {
      expect(readEvent(policyEnvelope(type, data))).toMatchObject({ ok: true, event: { typed: { type } } });
    }
  });

  it.each([
    ['SnapshotPolicyCreated', { policyId, volumeId, schedule: 'daily', retention: 0, createdAt: 'now' }, /data.schedule must be a schedule .*; data.retention must be a positive integer; data.createdAt must be an ISO 8601 timestamp/],
    ['SnapshotPolicyRunTaken', { policyId, volumeId, dueAt: 'soon', snapshotId: 's-1' }, /data.dueAt must be an ISO 8601 timestamp; data.snapshotId must be a UUID/],
    ['SnapshotPolicyDeleted', { policyId: 'p-1' }, /data.policyId must be a UUID; data.volumeId must be a UUID/],
  ])('refuses a %s missing what the projection reads', (type, data, reason) => {
    const read = readEvent(policyEnvelope(type, data));
    expect(read.ok).toBe(false);
    expect(!read.ok && read.reason).toMatch(reason);
  });
});
