import type {
  AggregateEventRow,
  BackupRow,
  BackupScheduleRow,
  BackupTargetRow,
  RestoreRow,
  HostRow,
  ImageStoreRow,
  JobRow,
  PoolDriftRow,
  PoolRow,
  SnapshotPolicyRow,
  SnapshotRow,
  TemplateBaseRow,
  TemplateRow,
  VmSnapshotRow,
  VolumeRow,
} from '../../read-model/domain/rows';
import {
  applyBackupEvent,
  applyBackupScheduleEvent,
  applyBackupTargetEvent,
  applyRestoreEvent,
  isBackupEvent,
  isBackupScheduleEvent,
  isBackupTargetEvent,
  isRestoreEvent,
} from './backup-projection';
import { adoptOrphan, applyDriftEvent, isDriftEvent, isDriftEventType } from './drift-projection';
import { applyHostEvent, isHostEvent } from './host-projection';
import {
  applyImageStoreEvent,
  applyTemplateBaseEvent,
  applyTemplateEvent,
  isImageStoreEvent,
  isTemplateBaseEvent,
  isTemplateEvent,
} from './image-projection';
import { advanceJob, jobUpdateOf, progressJobIdOf, withProgress } from './job-projection';
import { adjustPoolUsage, applyPoolEvent, applyStoragePoolAdded, isPoolLifecycleEvent, usageChanged, type PoolUsage } from './pool-projection';
import { applySnapshotBackupSet, withEarlierBackupSetting, type VolumeBackupSetting } from './snapshot-backup-projection';
import { applySnapshotEvent, isSnapshotEvent } from './snapshot-projection';
import { applySnapshotPolicyEvent, isSnapshotPolicyEvent } from './snapshot-policy-projection';
import type { ReceivedEvent } from './storage-event';
import { applyVmSnapshotEvent, isVmSnapshotEvent } from './vm-snapshot-projection';
import { applyVolumeEvent, isVolumeEvent, poolIdOf, sourcePoolIdOf } from './volume-projection';

/** The rows an event touches; the edge loads them (locked) before projecting. */
export interface ProjectionTargets {
  /** The pool whose row (and lock) the event needs; for a volume event that names none, the edge finds the volume's. */
  readonly poolId?: string;
  /** The pool a migrated volume leaves (VolumeMigrated): its usage changes too, under its own lock. */
  readonly sourcePoolId?: string;
  readonly volumeId?: string;
  readonly hostId?: string;
  /** The pool whose drift record the event changes. */
  readonly driftPoolId?: string;
  /** A snapshot event's snapshot: it touches no pool or volume row. */
  readonly snapshotId?: string;
  /** A snapshot policy event's policy: like a snapshot's, no pool or volume row. */
  readonly policyId?: string;
  /** A VM snapshot event's VM snapshot: like a snapshot's, no pool or volume row. */
  readonly vmSnapshotId?: string;
  /** An image event's aggregate: its image store, template or cached base (no pool or volume row). */
  readonly imageStoreId?: string;
  readonly templateId?: string;
  readonly templateBaseId?: string;
  /** A backup event's aggregate (target, backup, restore or schedule): no pool or volume row. */
  readonly backupTargetId?: string;
  readonly backupId?: string;
  readonly restoreId?: string;
  readonly backupScheduleId?: string;
  /** A volume whose tenant a backup or schedule takes (read, neither locked nor written). */
  readonly tenantOfVolumeId?: string;
  /** A backup whose tenant a restore takes (read, neither locked nor written). */
  readonly tenantOfBackupId?: string;
  readonly jobId?: string;
}

/** The current rows for the targets; null when a row does not exist yet. */
export interface ProjectionView {
  readonly pool: PoolRow | null;
  /** The row of targets.sourcePoolId, when the event has one. */
  readonly sourcePool?: PoolRow | null;
  /** Only needed, and only loaded, for a pool's first event. */
  readonly poolUsage: PoolUsage;
  readonly volume: VolumeRow | null;
  /**
   * Only loaded for a volume event of a volume not projected yet: the latest SnapshotBackupSet
   * its history holds (one that came before the volume), or null.
   */
  readonly volumeBackupSetting?: VolumeBackupSetting | null;
  readonly host: HostRow | null;
  readonly drift: PoolDriftRow | null;
  /** Only loaded for snapshot events. */
  readonly snapshot?: SnapshotRow | null;
  /** Only loaded for snapshot policy events. */
  readonly policy?: SnapshotPolicyRow | null;
  /** Only loaded for VM snapshot events. */
  readonly vmSnapshot?: VmSnapshotRow | null;
  /** Only loaded for image events. */
  readonly imageStore?: ImageStoreRow | null;
  readonly template?: TemplateRow | null;
  readonly templateBase?: TemplateBaseRow | null;
  /** Only loaded for backup events. */
  readonly backupTarget?: BackupTargetRow | null;
  readonly backup?: BackupRow | null;
  readonly restore?: RestoreRow | null;
  readonly backupSchedule?: BackupScheduleRow | null;
  /** The tenant of targets.tenantOfVolumeId / tenantOfBackupId; null when unknown. */
  readonly ownerTenant?: string | null;
  readonly job: JobRow | null;
}

/** Rows to write; a row whose view was null is inserted, any other updated. */
export interface ProjectionChanges {
  readonly pool?: PoolRow;
  readonly sourcePool?: PoolRow;
  readonly volume?: VolumeRow;
  readonly host?: HostRow;
  readonly drift?: PoolDriftRow;
  readonly snapshot?: SnapshotRow;
  readonly policy?: SnapshotPolicyRow;
  readonly vmSnapshot?: VmSnapshotRow;
  readonly imageStore?: ImageStoreRow;
  readonly template?: TemplateRow;
  readonly templateBase?: TemplateBaseRow;
  readonly backupTarget?: BackupTargetRow;
  readonly backup?: BackupRow;
  readonly restore?: RestoreRow;
  readonly backupSchedule?: BackupScheduleRow;
  readonly job?: JobRow;
  readonly history?: AggregateEventRow;
}

export function projectionTargets(event: ReceivedEvent): ProjectionTargets {
  const typed = event.typed;
  const jobId = jobUpdateOf(event)?.jobId ?? progressJobIdOf(event);
  if (typed && isImageStoreEvent(typed)) return { imageStoreId: typed.data.imageStoreId, jobId };
  if (typed && isTemplateEvent(typed)) return { templateId: typed.data.templateId, jobId };
  if (typed && isTemplateBaseEvent(typed)) return { templateBaseId: typed.data.baseId, jobId };
  if (typed && isBackupTargetEvent(typed)) return { backupTargetId: typed.data.targetId, jobId };
  if (typed && isBackupEvent(typed)) {
    const first = typed.type === 'BackupRequested' || typed.type === 'BackupImported';
    return { backupId: typed.data.backupId, ...(first ? { tenantOfVolumeId: typed.data.volumeId } : {}), jobId };
  }
  if (typed && isRestoreEvent(typed)) {
    return { restoreId: typed.data.restoreId, ...(typed.type === 'RestoreRequested' ? { tenantOfBackupId: typed.data.backupId } : {}), jobId };
  }
  if (typed && isBackupScheduleEvent(typed)) {
    return { backupScheduleId: typed.data.scheduleId, ...(typed.type === 'BackupScheduleCreated' ? { tenantOfVolumeId: typed.data.volumeId } : {}), jobId };
  }
  if (typed?.type === 'StoragePoolAdded') return { poolId: typed.data.poolId, jobId };
  if (typed && isPoolLifecycleEvent(typed)) return { poolId: typed.data.poolId, jobId };
  if (typed?.type === 'VolumeManaged') {
    // The adopted orphan leaves the pool's drift record; the pool lock covers both.
    return { poolId: typed.data.poolId, volumeId: typed.data.volumeId, driftPoolId: typed.data.poolId, jobId };
  }
  if (typed && isVolumeEvent(typed)) {
    const sourcePoolId = sourcePoolIdOf(typed);
    return { poolId: poolIdOf(typed), ...(sourcePoolId ? { sourcePoolId } : {}), volumeId: typed.data.volumeId, jobId };
  }
  if (typed && isHostEvent(typed)) return { hostId: typed.data.hostId, jobId };
  if (typed && isDriftEvent(typed)) return { poolId: typed.data.poolId, driftPoolId: typed.data.poolId, jobId };
  if (typed && isSnapshotEvent(typed)) return { snapshotId: typed.data.snapshotId, jobId };
  if (typed && isSnapshotPolicyEvent(typed)) return { policyId: typed.data.policyId, jobId };
  if (typed && isVmSnapshotEvent(typed)) return { vmSnapshotId: typed.data.vmSnapshotId, jobId };
  // A volume's setting, kept on its row: under the volume's pool lock, as its own events.
  if (typed?.type === 'SnapshotBackupSet') return { volumeId: typed.data.volumeId, jobId };
  return { jobId };
}

/** Whether the edge must count the pool's projected volumes (a pool's first event). */
export function needsPoolUsage(event: ReceivedEvent): boolean {
  return event.typed?.type === 'StoragePoolAdded';
}

/**
 * Which of its aggregate's streams an event is in. A pool's drift events carry the pool id
 * but versions of their own stream, so they are kept apart from the pool's own; so do a
 * volume's snapshot settings (SnapshotBackupSet, the snapshot service's stream of the volume).
 */
export function streamOf(type: string): string {
  if (isDriftEventType(type)) return 'drift';
  return type === 'SnapshotBackupSet' ? 'snapshot-settings' : '';
}

/** The history row of an aggregate's event; rejections are no aggregate's history. */
export function historyOf(event: ReceivedEvent): AggregateEventRow | undefined {
  const e = event.envelope;
  if (e.type === 'CommandRejected' || e.streamVersion === null) return undefined;
  return {
    aggregateId: e.aggregateId,
    stream: streamOf(e.type),
    streamVersion: e.streamVersion,
    messageId: e.messageId,
    type: e.type,
    occurredAt: event.occurredAt,
    envelope: e as unknown as Record<string, unknown>,
  };
}

/** One event applied to the read models: pure, so every case is a plain unit test. */
export function projectEvent(view: ProjectionView, event: ReceivedEvent): ProjectionChanges {
  const update = jobUpdateOf(event, view.volume);
  const job = update ? advanceJob(view.job, update) : undefined;
  const history = historyOf(event);
  const typed = event.typed;
  const version = event.envelope.streamVersion ?? 0;
  const at = event.occurredAt;

  if (typed?.type === 'StoragePoolAdded') {
    const pool = applyStoragePoolAdded(view.pool, view.poolUsage, typed.data, version, at);
    return { pool, job, history };
  }
  if (typed && isPoolLifecycleEvent(typed)) {
    const pool = applyPoolEvent(view.pool, typed, version, at);
    return { pool, job, history };
  }
  if (typed && isVolumeEvent(typed)) {
    const applied = applyVolumeEvent(view.volume, typed, { streamVersion: version, occurredAt: at, tenant: event.tenant });
    const withSetting = applied && !view.volume ? withEarlierBackupSetting(applied, view.volumeBackupSetting) : applied;
    // Recorded whether or not the pool is projected yet: a pool replayed after its volumes takes its updatedAt from it.
    const volume = withSetting && usageChanged(view.volume, withSetting) ? { ...withSetting, usageChangedAt: at } : withSetting;
    const pool = adjustPoolUsage(view.pool, view.volume, volume, at);
    // A migrated volume leaves its pool: that one gives back what the volume held of it.
    const source = view.sourcePool && view.sourcePool.id !== view.pool?.id ? view.sourcePool : null;
    const sourcePool = adjustPoolUsage(source, view.volume, volume, at);
    const drift = typed.type === 'VolumeManaged' && volume ? adoptOrphan(view.drift, typed.data.backendName, at) : undefined;
    return { pool, sourcePool, volume, drift, job, history };
  }
  if (typed && isHostEvent(typed)) {
    return { host: applyHostEvent(view.host, typed, version, at), job, history };
  }
  if (typed && isDriftEvent(typed)) {
    return { drift: applyDriftEvent(view.drift, typed, version, at), job, history };
  }
  if (typed && isSnapshotEvent(typed)) {
    const snapshot = applySnapshotEvent(view.snapshot ?? null, typed, { streamVersion: version, occurredAt: at, tenant: event.tenant });
    return { snapshot, job, history };
  }
  if (typed && isSnapshotPolicyEvent(typed)) {
    const policy = applySnapshotPolicyEvent(view.policy ?? null, typed, { streamVersion: version, occurredAt: at, tenant: event.tenant });
    return { policy, job, history };
  }
  if (typed && isVmSnapshotEvent(typed)) {
    const vmSnapshot = applyVmSnapshotEvent(view.vmSnapshot ?? null, typed, { streamVersion: version, occurredAt: at, tenant: event.tenant });
    return { vmSnapshot, job, history };
  }
  if (typed?.type === 'SnapshotBackupSet') {
    return { volume: applySnapshotBackupSet(view.volume, typed.data, version), job, history };
  }
  const meta = { streamVersion: version, occurredAt: at, tenant: event.tenant };
  if (typed && isImageStoreEvent(typed)) return { imageStore: applyImageStoreEvent(view.imageStore ?? null, typed, meta), job, history };
  if (typed && isTemplateEvent(typed)) {
    const template = applyTemplateEvent(view.template ?? null, typed, meta);
    // A transfer's progress moves its registration's job too (the event moves no job's status).
    const progressed = typed.type === 'TemplateTransferProgressed' && typed.data.percent !== null ? withProgress(view.job, typed.data.percent, at) : undefined;
    return { template, job: job ?? progressed, history };
  }
  if (typed && isTemplateBaseEvent(typed)) return { templateBase: applyTemplateBaseEvent(view.templateBase ?? null, typed, meta), job, history };
  if (typed && isBackupTargetEvent(typed)) return { backupTarget: applyBackupTargetEvent(view.backupTarget ?? null, typed, meta), job, history };
  const owner = view.ownerTenant ?? null;
  if (typed && isBackupEvent(typed)) {
    const backup = applyBackupEvent(view.backup ?? null, typed, meta, { volumeTenant: owner });
    // The data step's progress moves the CreateBackup's job too (the event moves no job's status).
    const progressed = typed.type === 'BackupProgressed' ? withProgress(view.job, typed.data.percent, at) : undefined;
    return { backup, job: job ?? progressed, history };
  }
  if (typed && isRestoreEvent(typed)) {
    const restore = applyRestoreEvent(view.restore ?? null, typed, meta, { backupTenant: owner });
    const progressed = typed.type === 'RestoreProgressed' ? withProgress(view.job, typed.data.percent, at) : undefined;
    return { restore, job: job ?? progressed, history };
  }
  if (typed && isBackupScheduleEvent(typed)) {
    return { backupSchedule: applyBackupScheduleEvent(view.backupSchedule ?? null, typed, meta, { volumeTenant: owner }), job, history };
  }
  return { job, history };
}
