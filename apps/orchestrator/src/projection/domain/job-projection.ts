import { jobEffectOf, type JobEffect } from '@strata/contracts';
import type { JobError, JobRow, JobStatus, VolumeRow } from '../../read-model/domain/rows';
import type { ReceivedEvent, TypedEvent } from './storage-event';
import { qosLimits } from './volume-projection';

/** What one event says about the job of the command that caused it. */
export interface JobUpdate {
  readonly jobId: string;
  readonly status: JobEffect;
  readonly commandType: string;
  readonly aggregateId: string | null;
  readonly tenant: string | null;
  readonly at: Date;
  readonly result: Record<string, unknown> | null;
  readonly error: JobError | null;
}

const commandOf: Readonly<Record<string, string>> = {
  StoragePoolAdded: 'AddStoragePool',
  StoragePoolUpdated: 'UpdateStoragePool',
  StoragePoolEnabled: 'EnableStoragePool',
  StoragePoolDisabled: 'DisableStoragePool',
  StoragePoolDeleted: 'DeleteStoragePool',
  StoragePoolCapacityRefreshed: 'RefreshPoolCapacity',
  VolumeAllocated: 'CreateVolume',
  VolumeCreationRequested: 'CreateVolume',
  VolumeCreated: 'CreateVolume',
  VolumeCreationFailed: 'CreateVolume',
  VolumeDeletionRequested: 'DeleteVolume',
  VolumeDeleted: 'DeleteVolume',
  VolumeDeletionFailed: 'DeleteVolume',
  VolumeResizeRequested: 'ResizeVolume',
  VolumeResized: 'ResizeVolume',
  VolumeResizeFailed: 'ResizeVolume',
  VolumeAttachRequested: 'AttachVolume',
  VolumeAttached: 'AttachVolume',
  VolumeAttachFailed: 'AttachVolume',
  VolumeDetachRequested: 'DetachVolume',
  VolumeDetached: 'DetachVolume',
  VolumeDetachFailed: 'DetachVolume',
  VolumeQosChangeRequested: 'ChangeVolumeQos',
  VolumeQosChanged: 'ChangeVolumeQos',
  VolumeQosChangeFailed: 'ChangeVolumeQos',
  HostRegistered: 'RegisterHost',
  HostDeregistered: 'DeregisterHost',
  PoolDriftDetected: 'ReconcilePool',
  PoolDriftCleared: 'ReconcilePool',
  VolumeManaged: 'ManageVolume',
  OrphanRemovalRequested: 'RemoveOrphan',
  OrphanRemoved: 'RemoveOrphan',
  OrphanRemovalFailed: 'RemoveOrphan',
  VolumeMigrationRequested: 'MigrateVolume',
  VolumeMigrated: 'MigrateVolume',
  VolumeMigrationFailed: 'MigrateVolume',
  PoolMaintenanceRequested: 'EnterPoolMaintenance',
  PoolMaintenanceEntered: 'EnterPoolMaintenance',
  PoolMaintenanceFailed: 'EnterPoolMaintenance',
  PoolMaintenanceCancelled: 'CancelPoolMaintenance',
  SnapshotRequested: 'CreateSnapshot',
  SnapshotCreated: 'CreateSnapshot',
  SnapshotCreationFailed: 'CreateSnapshot',
  SnapshotDeletionRequested: 'DeleteSnapshot',
  SnapshotDeleted: 'DeleteSnapshot',
  SnapshotDeletionFailed: 'DeleteSnapshot',
  SnapshotRevertRequested: 'RevertToSnapshot',
  SnapshotReverted: 'RevertToSnapshot',
  SnapshotRevertFailed: 'RevertToSnapshot',
  SnapshotPolicyCreated: 'CreateSnapshotPolicy',
  SnapshotPolicyDeleted: 'DeleteSnapshotPolicy',
  VmSnapshotRequested: 'CreateVmSnapshot',
  VmSnapshotCreated: 'CreateVmSnapshot',
  VmSnapshotCreationFailed: 'CreateVmSnapshot',
  VmSnapshotDeletionRequested: 'DeleteVmSnapshot',
  VmSnapshotDeleted: 'DeleteVmSnapshot',
  VmSnapshotDeletionFailed: 'DeleteVmSnapshot',
  VmSnapshotRevertRequested: 'RevertToVmSnapshot',
  VmSnapshotReverted: 'RevertToVmSnapshot',
  VmSnapshotRevertFailed: 'RevertToVmSnapshot',
  SnapshotBackupSet: 'SetSnapshotBackup',
  ImageStoreAdded: 'AddImageStore',
  ImageStoreRemoved: 'RemoveImageStore',
  TemplateRegistrationRequested: 'RegisterTemplate',
  TemplateRegistered: 'RegisterTemplate',
  TemplateRegistrationFailed: 'RegisterTemplate',
  TemplateUpdated: 'UpdateTemplate',
  TemplateCopyRequested: 'CopyTemplate',
  TemplateCopied: 'CopyTemplate',
  TemplateCopyFailed: 'CopyTemplate',
  TemplateDeletionRequested: 'DeleteTemplate',
  TemplateDeleted: 'DeleteTemplate',
  TemplateSpoolRequested: 'SpoolTemplate',
  TemplateSpoolJoined: 'SpoolTemplate',
  TemplateSpooled: 'SpoolTemplate',
  TemplateSpoolFailed: 'SpoolTemplate',
  BackupTargetAdded: 'AddBackupTarget',
  BackupTargetRemoved: 'RemoveBackupTarget',
  BackupGarbageCollected: 'CollectBackupGarbage',
  BackupGarbageCollectionFailed: 'CollectBackupGarbage',
  BackupRequested: 'CreateBackup',
  BackupCompleted: 'CreateBackup',
  BackupFailed: 'CreateBackup',
  BackupVerified: 'VerifyBackup',
  BackupVerificationFailed: 'VerifyBackup',
  BackupDeletionRequested: 'DeleteBackup',
  BackupDeleted: 'DeleteBackup',
  BackupImported: 'ImportBackup',
  RestoreRequested: 'RestoreBackup',
  RestoreCompleted: 'RestoreBackup',
  RestoreFailed: 'RestoreBackup',
  BackupScheduleCreated: 'CreateBackupSchedule',
  BackupScheduleDeleted: 'DeleteBackupSchedule',
};

function resultOf(event: TypedEvent): Record<string, unknown> | null {
  switch (event.type) {
    case 'StoragePoolAdded':
    case 'StoragePoolEnabled':
    case 'StoragePoolDisabled':
    case 'StoragePoolDeleted':
      return { poolId: event.data.poolId };
    case 'StoragePoolUpdated':
      return { poolId: event.data.poolId, changes: { ...event.data.changes } };
    case 'StoragePoolCapacityRefreshed':
      return { poolId: event.data.poolId, capacityBytes: event.data.capacityBytes, usedBytes: event.data.usedBytes };
    // A deferred creation: placed, nothing on the backend yet (no path until its first attach makes it).
    case 'VolumeAllocated':
      return {
        volumeId: event.data.volumeId,
        poolId: event.data.poolId,
        sizeBytes: event.data.sizeBytes,
        backendName: event.data.backendName,
        path: null,
      };
    case 'VolumeCreated':
      return {
        volumeId: event.data.volumeId,
        poolId: event.data.poolId,
        sizeBytes: event.data.sizeBytes,
        backendName: event.data.backendName ?? null,
        path: event.data.path ?? null,
      };
    case 'VolumeDeleted':
      return { volumeId: event.data.volumeId };
    case 'VolumeResized':
      return { volumeId: event.data.volumeId, sizeBytes: event.data.sizeBytes };
    case 'VolumeAttached':
      return { volumeId: event.data.volumeId, hostId: event.data.hostId, devicePath: event.data.devicePath };
    case 'VolumeDetached':
      return { volumeId: event.data.volumeId, hostId: event.data.hostId };
    case 'VolumeQosChanged':
      return { volumeId: event.data.volumeId, qos: qosLimits(event.data.qos) };
    case 'VolumeManaged':
      return { volumeId: event.data.volumeId, poolId: event.data.poolId, backendName: event.data.backendName, sizeBytes: event.data.sizeBytes };
    case 'HostRegistered':
    case 'HostDeregistered':
      return { hostId: event.data.hostId };
    case 'PoolDriftDetected':
      return { poolId: event.data.poolId, orphans: event.data.orphans.map((o) => ({ ...o })), missing: event.data.missing.map((m) => ({ ...m })) };
    case 'PoolDriftCleared':
      return { poolId: event.data.poolId, orphans: [], missing: [] };
    case 'OrphanRemoved':
      return { poolId: event.data.poolId, backendName: event.data.backendName };
    case 'VolumeMigrated':
      return {
        volumeId: event.data.volumeId,
        fromPoolId: event.data.fromPoolId,
        toPoolId: event.data.toPoolId,
        mode: event.data.mode,
        backendName: event.data.backendName,
        sizeBytes: event.data.sizeBytes,
        path: event.data.path ?? null,
      };
    case 'PoolMaintenanceEntered':
      return { poolId: event.data.poolId };
    case 'PoolMaintenanceCancelled':
      return { poolId: event.data.poolId, restoredStatus: event.data.restoredStatus };
    case 'SnapshotCreated':
      return { snapshotId: event.data.snapshotId, volumeId: event.data.volumeId, sizeBytes: event.data.sizeBytes };
    case 'SnapshotDeleted':
    case 'SnapshotReverted':
      return { snapshotId: event.data.snapshotId, volumeId: event.data.volumeId };
    case 'SnapshotPolicyCreated':
    case 'SnapshotPolicyDeleted':
      return { policyId: event.data.policyId, volumeId: event.data.volumeId };
    case 'VmSnapshotCreated':
      return {
        vmSnapshotId: event.data.vmSnapshotId,
        vmId: event.data.vmId,
        members: event.data.members.map((m) => ({ volumeId: m.volumeId, snapshotBackendName: m.snapshotBackendName, sizeBytes: m.sizeBytes })),
      };
    case 'VmSnapshotDeleted':
    case 'VmSnapshotReverted':
      return { vmSnapshotId: event.data.vmSnapshotId, vmId: event.data.vmId };
    case 'SnapshotBackupSet':
      return { volumeId: event.data.volumeId, backupSnapshots: event.data.backupSnapshots };
    case 'ImageStoreAdded':
    case 'ImageStoreRemoved':
      return { imageStoreId: event.data.imageStoreId };
    case 'TemplateRegistered':
      return {
        templateId: event.data.templateId,
        imageStoreId: event.data.imageStoreId,
        format: event.data.format,
        virtualSizeBytes: event.data.virtualSizeBytes,
        physicalSizeBytes: event.data.physicalSizeBytes,
      };
    case 'TemplateUpdated':
      return { templateId: event.data.templateId, changes: { ...event.data.changes } };
    case 'TemplateCopied':
      return { templateId: event.data.templateId, imageStoreId: event.data.imageStoreId, zoneId: event.data.zoneId };
    case 'TemplateDeleted':
      return { templateId: event.data.templateId };
    case 'TemplateSpooled':
      return { baseId: event.data.baseId, volumeId: event.data.volumeId, snapshotId: event.data.snapshotId };
    case 'BackupTargetAdded':
    case 'BackupTargetRemoved':
      return { targetId: event.data.targetId };
    case 'BackupGarbageCollected':
      return {
        targetId: event.data.targetId,
        manifests: event.data.manifests,
        chunksKept: event.data.chunksKept,
        chunksDeleted: event.data.chunksDeleted,
        chunksTooYoung: event.data.chunksTooYoung,
      };
    case 'BackupCompleted':
      return {
        backupId: event.data.backupId,
        volumeId: event.data.volumeId,
        sizeBytes: event.data.sizeBytes,
        chunks: event.data.chunks,
        newChunks: event.data.newChunks,
        reusedChunks: event.data.reusedChunks,
        zeroChunks: event.data.zeroChunks,
        bytesWritten: event.data.bytesWritten,
      };
    case 'BackupVerified':
      return { backupId: event.data.backupId, chunksChecked: event.data.chunksChecked };
    case 'BackupDeleted':
      return { backupId: event.data.backupId };
    case 'BackupImported':
      return { backupId: event.data.backupId, targetId: event.data.targetId, volumeId: event.data.volumeId, kind: event.data.kind };
    case 'RestoreCompleted':
      return { restoreId: event.data.restoreId, backupId: event.data.backupId, volumeId: event.data.volumeId };
    case 'BackupScheduleCreated':
    case 'BackupScheduleDeleted':
      return { scheduleId: event.data.scheduleId };
    default:
      return null;
  }
}

/** Only the error's own fields: a backup error's details are the backup service's, not the job's. */
const errorInfo = (e: { code: string; category: string; message: string }) => ({ code: e.code, category: e.category, message: e.message });

function errorOf(event: TypedEvent): JobError | null {
  switch (event.type) {
    case 'VolumeCreationFailed':
    case 'VolumeDeletionFailed':
    case 'VolumeResizeFailed':
    case 'VolumeAttachFailed':
    case 'VolumeDetachFailed':
    case 'VolumeQosChangeFailed':
    case 'OrphanRemovalFailed':
    case 'VolumeMigrationFailed':
      return { ...event.data.error, violations: [] };
    case 'SnapshotCreationFailed':
    case 'SnapshotDeletionFailed':
    case 'SnapshotRevertFailed':
      return { ...event.data.error, violations: [], details: { snapshotId: event.data.snapshotId, volumeId: event.data.volumeId } };
    case 'VmSnapshotCreationFailed':
    case 'VmSnapshotDeletionFailed':
    case 'VmSnapshotRevertFailed':
      return { ...event.data.error, violations: [], details: { vmSnapshotId: event.data.vmSnapshotId, vmId: event.data.vmId } };
    case 'PoolMaintenanceFailed':
      return { ...event.data.error, violations: [], details: { poolId: event.data.poolId, volumeId: event.data.volumeId ?? null } };
    case 'TemplateRegistrationFailed':
    case 'TemplateCopyFailed':
      return { ...event.data.error, violations: [], details: { templateId: event.data.templateId, imageStoreId: event.data.imageStoreId } };
    case 'TemplateSpoolFailed':
      return { ...event.data.error, violations: [], details: { baseId: event.data.baseId, templateId: event.data.templateId, poolId: event.data.poolId } };
    case 'BackupFailed':
      return { ...errorInfo(event.data.error), violations: [], details: { backupId: event.data.backupId } };
    case 'BackupVerificationFailed':
      return { ...errorInfo(event.data.error), violations: [], details: { backupId: event.data.backupId, badChunks: [...event.data.badChunks] } };
    case 'BackupGarbageCollectionFailed':
      return { ...errorInfo(event.data.error), violations: [], details: { targetId: event.data.targetId } };
    case 'RestoreFailed':
      return { ...errorInfo(event.data.error), violations: [], details: { restoreId: event.data.restoreId } };
    case 'CommandRejected':
      return {
        ...event.data.error,
        violations: event.data.violations.map((v) => ({ ...v })),
        ...(event.data.details ? { details: { ...event.data.details } } : {}),
      };
    default:
      return null;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A command's id, as the envelope rules require it (class-validator's isUUID('4')). */
const COMMAND_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * The command an event is of. VolumeCreationRequested is a CreateVolume's, except on a volume
 * that is allocated (a deferred creation): its first attach makes it, so it is that
 * AttachVolume's. A job first seen there (an attach published straight to Kafka) is then the
 * attach's, and the VolumeCreated that follows (a CreateVolume event) leaves it alone.
 */
function commandTypeOf(event: TypedEvent, volume: VolumeRow | null | undefined): string {
  if (event.type === 'VolumeCreationRequested' && volume?.status === 'allocated') return 'AttachVolume';
  if (event.type === 'TemplateRegistrationRequested' && event.data.source.kind === 'volume') return 'CreateTemplateFromVolume';
  return commandOf[event.type] ?? 'unknown';
}

/** Commands whose template ends with TemplateRegistered or TemplateRegistrationFailed (events that do not say which made it). */
const REGISTRATIONS: ReadonlySet<string> = new Set(['RegisterTemplate', 'CreateTemplateFromVolume']);

/**
 * The job update an event carries; undefined when it moves no job. `volume` is the event's
 * volume as projected before it, when the caller has it (only the command type can depend on it).
 */
export function jobUpdateOf(event: ReceivedEvent, volume?: VolumeRow | null): JobUpdate | undefined {
  const status = jobEffectOf(event.envelope.type);
  if (!status || !event.typed) return undefined;
  const rejected = event.typed.type === 'CommandRejected' ? event.typed.data : null;
  // A rejection names its command (whatever id it came with); every other event names it as its cause.
  const jobId = rejected?.commandId ?? event.causationId;
  // Commands carry UUID v4 ids. The storage service's own work names itself otherwise and is
  // no one's job: scheduled rounds (capacity refresh, reconciliation) with names, the moves
  // of a pool's maintenance with ids derived from the maintenance (name-based UUIDs, v5).
  if (!jobId || !(rejected ? UUID : COMMAND_ID).test(jobId)) return undefined;
  return {
    jobId,
    status,
    commandType: rejected?.commandType ?? commandTypeOf(event.typed, volume),
    aggregateId: rejected ? (rejected.aggregateId ?? (event.envelope.aggregateId || null)) : event.envelope.aggregateId,
    tenant: event.tenant,
    at: event.occurredAt,
    result: resultOf(event.typed),
    error: errorOf(event.typed),
  };
}

const rank: Readonly<Record<JobStatus, number>> = { accepted: 0, running: 1, succeeded: 2, failed: 2 };

/**
 * Whether the update is about the command the job is for. Every event of a command names
 * it as its cause, so they always agree; an event of another command that names the job
 * (the storage service's own work started on behalf of a command, such as the migrations
 * of a pool entering maintenance) would otherwise end the job with someone else's outcome.
 */
const sameCommand = (job: JobRow, update: JobUpdate) =>
  job.commandType === update.commandType ||
  job.commandType === 'unknown' ||
  update.commandType === 'unknown' ||
  (REGISTRATIONS.has(job.commandType) && REGISTRATIONS.has(update.commandType));

/**
 * The job after an update. Status only moves forward (a late 'running' after 'succeeded'
 * is ignored) and the first outcome stands. A job not seen before is created: other
 * systems publish commands to Kafka directly. An update of another command is ignored.
 */
export function advanceJob(current: JobRow | null, update: JobUpdate): JobRow | undefined {
  if (!current) {
    return {
      id: update.jobId,
      commandType: update.commandType,
      aggregateId: update.aggregateId,
      tenant: update.tenant,
      status: update.status,
      result: update.result,
      error: update.error,
      createdAt: update.at,
      updatedAt: update.at,
    };
  }
  if (rank[update.status] <= rank[current.status] || !sameCommand(current, update)) return undefined;
  return {
    ...current,
    status: update.status,
    // A job that reported progress ends at 100 when it succeeds.
    ...(update.status === 'succeeded' && current.progress !== null && current.progress !== undefined ? { progress: 100 } : {}),
    result: update.result ?? current.result,
    error: update.error ?? current.error,
    updatedAt: update.at > current.updatedAt ? update.at : current.updatedAt,
  };
}

/**
 * The job a progress report is about (a template transfer names the RegisterTemplate that
 * started it as its cause, a backup's or restore's data step its CreateBackup or RestoreBackup);
 * undefined when it names no command's job.
 */
export function progressJobIdOf(event: ReceivedEvent): string | undefined {
  const type = event.typed?.type;
  const backupProgress = type === 'BackupProgressed' || type === 'RestoreProgressed';
  if (!backupProgress && (event.typed?.type !== 'TemplateTransferProgressed' || event.typed.data.percent === null)) return undefined;
  return event.causationId && COMMAND_ID.test(event.causationId) ? event.causationId : undefined;
}

/** The job with its progress moved forward; a finished job, or a report behind the last one, changes nothing. */
export function withProgress(job: JobRow | null, percent: number, at: Date): JobRow | undefined {
  if (!job || job.status === 'succeeded' || job.status === 'failed') return undefined;
  if (job.progress !== null && job.progress !== undefined && job.progress >= percent) return undefined;
  return { ...job, progress: percent, updatedAt: at > job.updatedAt ? at : job.updatedAt };
}
