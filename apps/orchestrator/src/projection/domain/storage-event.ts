import type { Envelope, SnapshotEventDataMap, SnapshotEventType, StorageEventDataMap, StorageEventType } from '@strata/contracts';
import { backupEventFields, type BackupEventDataMap, type ProjectedBackupEventType } from './backup-event';
import { imageEventFields, type ImageEventDataMap, type ProjectedImageEventType } from './image-event';

/**
 * The event types this version projects, from the storage events topic and the snapshot
 * events topic (CommandRejected comes on both, with the same payload). The contracts may
 * name more (a service gains events before the read models show them): those are read
 * untyped and only go to the history, as any type this version does not know.
 */
export type ProjectedEventType =
  | ProjectedStorageEventType
  | ProjectedSnapshotEventType
  | ProjectedSnapshotPolicyEventType
  | ProjectedVmSnapshotEventType
  | ProjectedImageEventType
  | ProjectedBackupEventType
  | 'SnapshotBackupSet';

/** A VM snapshot's events (stream of the VM snapshot, its id as aggregate). */
export type ProjectedVmSnapshotEventType = Extract<
  SnapshotEventType,
  | 'VmSnapshotRequested'
  | 'VmSnapshotCreated'
  | 'VmSnapshotCreationFailed'
  | 'VmSnapshotDeletionRequested'
  | 'VmSnapshotDeleted'
  | 'VmSnapshotDeletionFailed'
  | 'VmSnapshotRevertRequested'
  | 'VmSnapshotReverted'
  | 'VmSnapshotRevertFailed'
>;

/** A snapshot policy's events (stream policy-<id>, the policy id as aggregate). */
export type ProjectedSnapshotPolicyEventType = Extract<SnapshotEventType, 'SnapshotPolicyCreated' | 'SnapshotPolicyDeleted' | 'SnapshotPolicyRunTaken'>;

/** The volume snapshot's own events. */
export type ProjectedSnapshotEventType = Extract<
  SnapshotEventType,
  | 'SnapshotRequested'
  | 'SnapshotCreated'
  | 'SnapshotCreationFailed'
  | 'SnapshotDeletionRequested'
  | 'SnapshotDeleted'
  | 'SnapshotDeletionFailed'
  | 'SnapshotRevertRequested'
  | 'SnapshotReverted'
  | 'SnapshotRevertFailed'
>;

type ProjectedStorageEventType = Extract<
  StorageEventType,
  | 'StoragePoolAdded'
  | 'StoragePoolUpdated'
  | 'StoragePoolEnabled'
  | 'StoragePoolDisabled'
  | 'StoragePoolDeleted'
  | 'StoragePoolCapacityRefreshed'
  | 'VolumeAllocated'
  | 'VolumeCreationRequested'
  | 'VolumeCreated'
  | 'VolumeCreationFailed'
  | 'VolumeDeletionRequested'
  | 'VolumeDeleted'
  | 'VolumeDeletionFailed'
  | 'VolumeResizeRequested'
  | 'VolumeResized'
  | 'VolumeResizeFailed'
  | 'VolumeAttachRequested'
  | 'VolumeAttached'
  | 'VolumeAttachFailed'
  | 'VolumeDetachRequested'
  | 'VolumeDetached'
  | 'VolumeDetachFailed'
  | 'VolumeQosChangeRequested'
  | 'VolumeQosChanged'
  | 'VolumeQosChangeFailed'
  | 'VolumeManaged'
  | 'HostRegistered'
  | 'HostDeregistered'
  | 'PoolDriftDetected'
  | 'PoolDriftCleared'
  | 'OrphanRemovalRequested'
  | 'OrphanRemoved'
  | 'OrphanRemovalFailed'
  | 'VolumeMigrationRequested'
  | 'VolumeMigrationProgressed'
  | 'VolumeMigrated'
  | 'VolumeMigrationFailed'
  | 'VolumeMigrationSourceDeleted'
  | 'VolumeMigrationSourceDeletionFailed'
  | 'PoolMaintenanceRequested'
  | 'PoolMaintenanceEntered'
  | 'PoolMaintenanceFailed'
  | 'PoolMaintenanceCancelled'
  | 'CommandRejected'
>;

type ProjectedDataMap = Pick<StorageEventDataMap, ProjectedStorageEventType> &
  Pick<SnapshotEventDataMap, ProjectedSnapshotEventType | ProjectedSnapshotPolicyEventType | ProjectedVmSnapshotEventType | 'SnapshotBackupSet'> &
  ImageEventDataMap &
  BackupEventDataMap;

/** An event whose payload has the fields the projection relies on. */
export type TypedEvent = {
  [K in ProjectedEventType]: { readonly type: K; readonly data: ProjectedDataMap[K] };
}[ProjectedEventType];

export interface ReceivedEvent {
  /** The envelope exactly as it arrived: it is what the history shows. */
  readonly envelope: Envelope<string, Record<string, unknown>>;
  readonly occurredAt: Date;
  readonly tenant: string | null;
  /** The command that caused the event, i.e. its job; null when none is named. */
  readonly causationId: string | null;
  /** Null for event types this version does not know: those only go to the history. */
  readonly typed: TypedEvent | null;
}

export type ReadResult = { readonly ok: true; readonly event: ReceivedEvent } | { readonly ok: false; readonly reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

type Data = Record<string, unknown>;
const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBytes = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isString = (v: unknown): v is string => typeof v === 'string';
const isErrorInfo = (v: unknown) => isObject(v) && isString(v.code) && isString(v.category) && isString(v.message);
const isStrings = (v: unknown) => Array.isArray(v) && v.every(isString);
const isPositive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isIops = (v: unknown) => v === null || (Number.isSafeInteger(v) && (v as number) > 0);
const isQosValue = (v: unknown) => v === undefined || v === null || (Number.isSafeInteger(v) && (v as number) > 0);
const isQos = (v: unknown) =>
  isObject(v) && isQosValue(v.iops) && isQosValue(v.bandwidthBytesPerSecond) && (v.tier === undefined || v.tier === null || isString(v.tier));
const isOrphans = (v: unknown) => Array.isArray(v) && v.every((o) => isObject(o) && isString(o.backendName) && isBytes(o.sizeBytes));
const isMissing = (v: unknown) => Array.isArray(v) && v.every((o) => isObject(o) && isUuid(o.volumeId) && isString(o.backendName));
const isIdentities = (v: unknown) =>
  isObject(v) &&
  (v.linstorNode === undefined || isString(v.linstorNode)) &&
  (v.powerflexSdc === undefined || isString(v.powerflexSdc)) &&
  (v.storpoolClientId === undefined || Number.isSafeInteger(v.storpoolClientId));
const isMode = (v: unknown) => v === 'native' || v === 'copy';
const isPercent = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isRestoredStatus = (v: unknown) => v === 'enabled' || v === 'disabled';
const isTimestamp = (v: unknown) => isString(v) && !Number.isNaN(Date.parse(v));
const optional =
  (check: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    v === undefined || check(v);

/** A pool's settings, each optional, each of the type its column takes (a wrong one would fail every retry). */
const settingChecks: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
  name: [optional(isString), 'a string'],
  tags: [optional(isStrings), 'an array of strings'],
  hypervisors: [optional(isStrings), 'an array of strings'],
  capacityIops: [optional(isIops), 'a positive integer or null'],
  overProvisioningFactor: [optional(isPositive), 'a positive number'],
  allocationDisableThreshold: [optional(isPositive), 'a positive number'],
};
const isSettings = (v: unknown) => isObject(v) && Object.entries(settingChecks).every(([field, [check]]) => check(v[field]));

/** What a volume's placement names: VolumeCreationRequested and VolumeAllocated carry the same fields. */
const creationFields: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
  volumeId: [isUuid, 'a UUID'],
  poolId: [isUuid, 'a UUID'],
  name: [isString, 'a string'],
  sizeBytes: [isBytes, 'a non-negative integer'],
  backendName: [isString, 'a string'],
};

/** What every snapshot event names: the snapshot (its aggregate) and its volume. */
const snapshotFields: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
  snapshotId: [isUuid, 'a UUID'],
  volumeId: [isUuid, 'a UUID'],
};
/** What every snapshot policy event names: the policy (its aggregate) and its volume. */
const policyFields: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
  policyId: [isUuid, 'a UUID'],
  volumeId: [isUuid, 'a UUID'],
};
/** What every VM snapshot event names: the VM snapshot (its aggregate) and its VM. */
const vmSnapshotFields: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
  vmSnapshotId: [isUuid, 'a UUID'],
  vmId: [isString, 'a string'],
};
const vmSnapshotFailure: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
  ...vmSnapshotFields,
  error: [isErrorInfo, 'an error {code, category, message}'],
};
const isVmMembers = (v: unknown) =>
  Array.isArray(v) &&
  v.every((m) => isObject(m) && isUuid(m.volumeId) && isUuid(m.poolId) && isString(m.volumeBackendName) && isString(m.snapshotBackendName));
const isVmMembersMade = (v: unknown) => Array.isArray(v) && v.every((m) => isObject(m) && isUuid(m.volumeId) && isString(m.snapshotBackendName) && isBytes(m.sizeBytes));
const isVolumeSource = (v: unknown) => v === null || (isObject(v) && isUuid(v.snapshotId) && isUuid(v.volumeId));

const snapshotFailure: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
  ...snapshotFields,
  error: [isErrorInfo, 'an error {code, category, message}'],
};

/** Per known type: the fields the projection reads, and what each must be. */
const required: { readonly [K in ProjectedEventType]: Readonly<Record<string, [(v: unknown) => boolean, string]>> } = {
  ...imageEventFields,
  ...backupEventFields,
  StoragePoolAdded: {
    poolId: [isUuid, 'a UUID'],
    name: [isString, 'a string'],
    plugin: [isString, 'a string'],
    zoneId: [isString, 'a string'],
    hypervisors: settingChecks.hypervisors,
    capacityIops: settingChecks.capacityIops,
    overProvisioningFactor: settingChecks.overProvisioningFactor,
    allocationDisableThreshold: settingChecks.allocationDisableThreshold,
  },
  StoragePoolUpdated: { poolId: [isUuid, 'a UUID'], changes: [isSettings, 'an object of pool settings, each of its type (name a string, tags and hypervisors string arrays, capacityIops a positive integer or null, the factors positive numbers)'] },
  StoragePoolEnabled: { poolId: [isUuid, 'a UUID'] },
  StoragePoolDisabled: { poolId: [isUuid, 'a UUID'], reason: [optional((v) => v === null || isString(v)), 'a string or null'] },
  StoragePoolDeleted: { poolId: [isUuid, 'a UUID'] },
  StoragePoolCapacityRefreshed: {
    poolId: [isUuid, 'a UUID'],
    capacityBytes: [isBytes, 'a non-negative integer'],
    usedBytes: [isBytes, 'a non-negative integer'],
  },
  VolumeAllocated: { ...creationFields, source: [optional(isVolumeSource), 'a source {snapshotId, volumeId} or null'] },
  VolumeCreationRequested: { ...creationFields, source: [optional(isVolumeSource), 'a source {snapshotId, volumeId} or null'] },
  VolumeCreated: { volumeId: [isUuid, 'a UUID'], poolId: [isUuid, 'a UUID'], sizeBytes: [isBytes, 'a non-negative integer'] },
  VolumeCreationFailed: { volumeId: [isUuid, 'a UUID'], poolId: [isUuid, 'a UUID'], error: [isErrorInfo, 'an error {code, category, message}'] },
  VolumeDeletionRequested: { volumeId: [isUuid, 'a UUID'], poolId: [isUuid, 'a UUID'] },
  VolumeDeleted: { volumeId: [isUuid, 'a UUID'], poolId: [isUuid, 'a UUID'] },
  VolumeDeletionFailed: { volumeId: [isUuid, 'a UUID'], poolId: [isUuid, 'a UUID'], error: [isErrorInfo, 'an error {code, category, message}'] },
  VolumeResizeRequested: { volumeId: [isUuid, 'a UUID'], fromBytes: [isBytes, 'a non-negative integer'], toBytes: [isBytes, 'a non-negative integer'] },
  VolumeResized: { volumeId: [isUuid, 'a UUID'], sizeBytes: [isBytes, 'a non-negative integer'] },
  VolumeResizeFailed: { volumeId: [isUuid, 'a UUID'], error: [isErrorInfo, 'an error {code, category, message}'] },
  VolumeAttachRequested: { volumeId: [isUuid, 'a UUID'], hostId: [isUuid, 'a UUID'] },
  VolumeAttached: { volumeId: [isUuid, 'a UUID'], hostId: [isUuid, 'a UUID'], devicePath: [isString, 'a string'] },
  VolumeAttachFailed: { volumeId: [isUuid, 'a UUID'], hostId: [isUuid, 'a UUID'], error: [isErrorInfo, 'an error {code, category, message}'] },
  VolumeDetachRequested: { volumeId: [isUuid, 'a UUID'], hostId: [isUuid, 'a UUID'] },
  VolumeDetached: { volumeId: [isUuid, 'a UUID'], hostId: [isUuid, 'a UUID'] },
  VolumeDetachFailed: { volumeId: [isUuid, 'a UUID'], hostId: [isUuid, 'a UUID'], error: [isErrorInfo, 'an error {code, category, message}'] },
  VolumeQosChangeRequested: { volumeId: [isUuid, 'a UUID'], qos: [isQos, 'QoS limits {iops?, bandwidthBytesPerSecond?, tier?}'] },
  VolumeQosChanged: { volumeId: [isUuid, 'a UUID'], qos: [isQos, 'QoS limits {iops?, bandwidthBytesPerSecond?, tier?}'] },
  VolumeQosChangeFailed: { volumeId: [isUuid, 'a UUID'], error: [isErrorInfo, 'an error {code, category, message}'] },
  VolumeManaged: {
    volumeId: [isUuid, 'a UUID'],
    poolId: [isUuid, 'a UUID'],
    name: [isString, 'a string'],
    backendName: [isString, 'a string'],
    sizeBytes: [isBytes, 'a non-negative integer'],
  },
  HostRegistered: {
    hostId: [isUuid, 'a UUID'],
    name: [isString, 'a string'],
    zoneId: [isString, 'a string'],
    clusterId: [optional((v) => v === null || isString(v)), 'a string or null'],
    hypervisor: [isString, 'a string'],
    identities: [optional(isIdentities), 'an object of backend identities'],
  },
  HostDeregistered: { hostId: [isUuid, 'a UUID'] },
  PoolDriftDetected: {
    poolId: [isUuid, 'a UUID'],
    orphans: [isOrphans, 'an array of {backendName, sizeBytes}'],
    missing: [isMissing, 'an array of {volumeId, backendName}'],
  },
  PoolDriftCleared: { poolId: [isUuid, 'a UUID'] },
  OrphanRemovalRequested: { poolId: [isUuid, 'a UUID'], backendName: [isString, 'a string'] },
  OrphanRemoved: { poolId: [isUuid, 'a UUID'], backendName: [isString, 'a string'] },
  OrphanRemovalFailed: { poolId: [isUuid, 'a UUID'], backendName: [isString, 'a string'], error: [isErrorInfo, 'an error {code, category, message}'] },
  VolumeMigrationRequested: {
    volumeId: [isUuid, 'a UUID'],
    poolId: [isUuid, 'a UUID'],
    toPoolId: [isUuid, 'a UUID'],
    mode: [isMode, '"native" or "copy"'],
  },
  VolumeMigrationProgressed: { volumeId: [isUuid, 'a UUID'], toPoolId: [isUuid, 'a UUID'], percent: [isPercent, 'a number'] },
  VolumeMigrated: {
    volumeId: [isUuid, 'a UUID'],
    fromPoolId: [isUuid, 'a UUID'],
    toPoolId: [isUuid, 'a UUID'],
    mode: [isMode, '"native" or "copy"'],
    backendName: [isString, 'a string'],
    sizeBytes: [isBytes, 'a non-negative integer'],
    path: [optional((v) => v === null || isString(v)), 'a string or null'],
  },
  VolumeMigrationFailed: {
    volumeId: [isUuid, 'a UUID'],
    poolId: [isUuid, 'a UUID'],
    toPoolId: [isUuid, 'a UUID'],
    error: [isErrorInfo, 'an error {code, category, message}'],
  },
  VolumeMigrationSourceDeleted: { volumeId: [isUuid, 'a UUID'], poolId: [isUuid, 'a UUID'], backendName: [isString, 'a string'] },
  VolumeMigrationSourceDeletionFailed: {
    volumeId: [isUuid, 'a UUID'],
    poolId: [isUuid, 'a UUID'],
    backendName: [isString, 'a string'],
    error: [isErrorInfo, 'an error {code, category, message}'],
  },
  PoolMaintenanceRequested: { poolId: [isUuid, 'a UUID'] },
  PoolMaintenanceEntered: { poolId: [isUuid, 'a UUID'] },
  PoolMaintenanceFailed: {
    poolId: [isUuid, 'a UUID'],
    volumeId: [optional((v) => v === null || isUuid(v)), 'a UUID or null'],
    error: [isErrorInfo, 'an error {code, category, message}'],
  },
  PoolMaintenanceCancelled: { poolId: [isUuid, 'a UUID'], restoredStatus: [isRestoredStatus, '"enabled" or "disabled"'] },
  SnapshotRequested: {
    ...snapshotFields,
    name: [isString, 'a string'],
    poolId: [isUuid, 'a UUID'],
    backendName: [isString, 'a string'],
    volumeBackendName: [optional((v) => v === null || isString(v)), 'a string or null'],
    policyId: [optional((v) => v === null || isString(v)), 'a string or null'],
    dueAt: [optional((v) => v === null || isTimestamp(v)), 'an ISO 8601 timestamp or null'],
    backup: [optional((v) => typeof v === 'boolean'), 'a boolean'],
  },
  SnapshotCreated: { ...snapshotFields, sizeBytes: [isBytes, 'a non-negative integer'] },
  SnapshotCreationFailed: snapshotFailure,
  SnapshotDeletionRequested: snapshotFields,
  SnapshotDeleted: snapshotFields,
  SnapshotDeletionFailed: snapshotFailure,
  SnapshotRevertRequested: snapshotFields,
  SnapshotReverted: snapshotFields,
  SnapshotRevertFailed: snapshotFailure,
  SnapshotPolicyCreated: {
    ...policyFields,
    schedule: [(v) => isObject(v) && isString(v.kind) && isString(v.timeZone), 'a schedule {kind, timeZone, ...}'],
    retention: [(v) => Number.isSafeInteger(v) && (v as number) >= 1, 'a positive integer'],
    createdAt: [isTimestamp, 'an ISO 8601 timestamp'],
  },
  SnapshotPolicyDeleted: policyFields,
  SnapshotPolicyRunTaken: { ...policyFields, dueAt: [isTimestamp, 'an ISO 8601 timestamp'], snapshotId: [isUuid, 'a UUID'] },
  VmSnapshotRequested: {
    ...vmSnapshotFields,
    name: [isString, 'a string'],
    members: [isVmMembers, 'an array of {volumeId, poolId, volumeBackendName, snapshotBackendName}'],
  },
  VmSnapshotCreated: { ...vmSnapshotFields, members: [isVmMembersMade, 'an array of {volumeId, snapshotBackendName, sizeBytes}'] },
  VmSnapshotCreationFailed: vmSnapshotFailure,
  VmSnapshotDeletionRequested: vmSnapshotFields,
  VmSnapshotDeleted: vmSnapshotFields,
  VmSnapshotDeletionFailed: vmSnapshotFailure,
  VmSnapshotRevertRequested: vmSnapshotFields,
  VmSnapshotReverted: vmSnapshotFields,
  VmSnapshotRevertFailed: vmSnapshotFailure,
  SnapshotBackupSet: { volumeId: [isUuid, 'a UUID'], backupSnapshots: [(v) => typeof v === 'boolean', 'a boolean'] },
  CommandRejected: {
    commandId: [isString, 'a string'],
    commandType: [isString, 'a string'],
    error: [isErrorInfo, 'an error {code, category, message}'],
    violations: [Array.isArray, 'an array'],
    details: [optional(isObject), 'an object'],
  },
};

function isKnownType(type: string): type is ProjectedEventType {
  return Object.prototype.hasOwnProperty.call(required, type);
}

/**
 * Checks a decoded envelope before it is projected. What fails here can never be
 * projected, however often it is retried, so the caller dead-letters it with the reason
 * instead of blocking the partition.
 */
export function readEvent(envelope: Envelope<string, Record<string, unknown>>): ReadResult {
  const fail = (reason: string): ReadResult => ({ ok: false, reason: `${envelope.type ?? 'message'} ${envelope.messageId}: ${reason}` });
  if (envelope.kind !== 'event') return fail(`kind is ${JSON.stringify(envelope.kind)}, expected "event" on an events topic`);
  if (!isString(envelope.type) || envelope.type.length === 0) return fail('type must be a non-empty string');
  const occurredAt = isString(envelope.occurredAt) ? new Date(envelope.occurredAt) : new Date(NaN);
  if (Number.isNaN(occurredAt.getTime())) return fail('occurredAt must be an ISO 8601 timestamp');
  if (!isObject(envelope.data)) return fail('data must be an object');
  // CommandRejected lives in a stream of its own; every other event belongs to an aggregate stream.
  if (envelope.type !== 'CommandRejected') {
    if (!isUuid(envelope.aggregateId)) return fail('aggregateId must be a UUID');
    if (!Number.isSafeInteger(envelope.streamVersion) || (envelope.streamVersion as number) < 1) {
      return fail('streamVersion must be a positive integer');
    }
  }
  let typed: TypedEvent | null = null;
  if (isKnownType(envelope.type)) {
    const problems = Object.entries(required[envelope.type])
      .filter(([field, [check]]) => !check(envelope.data[field]))
      .map(([field, [, what]]) => `data.${field} must be ${what}`);
    if (problems.length) return fail(problems.join('; '));
    typed = { type: envelope.type, data: envelope.data } as unknown as TypedEvent;
  }
  return {
    ok: true,
    event: {
      envelope,
      occurredAt,
      tenant: isString(envelope.tenant) ? envelope.tenant : null,
      causationId: isString(envelope.causationId) && envelope.causationId.length > 0 ? envelope.causationId : null,
      typed,
    },
  };
}
