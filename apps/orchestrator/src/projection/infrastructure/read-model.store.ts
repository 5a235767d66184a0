import { Injectable } from '@nestjs/common';
import type { EntityManager, ObjectLiteral, EntityTarget } from 'typeorm';
import { AggregateEventEntity } from '../../read-model/infrastructure/aggregate-event.entity';
import { BackupEntity, BackupScheduleEntity, BackupTargetEntity, RestoreEntity } from '../../read-model/infrastructure/backup.entities';
import { HostEntity } from '../../read-model/infrastructure/host.entity';
import { ImageStoreEntity } from '../../read-model/infrastructure/image-store.entity';
import { JobEntity } from '../../read-model/infrastructure/job.entity';
import { PoolDriftEntity } from '../../read-model/infrastructure/pool-drift.entity';
import { PoolEntity } from '../../read-model/infrastructure/pool.entity';
import { ORCHESTRATOR_SCHEMA } from '../../read-model/infrastructure/schema';
import { SnapshotPolicyEntity } from '../../read-model/infrastructure/snapshot-policy.entity';
import { SnapshotEntity } from '../../read-model/infrastructure/snapshot.entity';
import { TemplateBaseEntity } from '../../read-model/infrastructure/template-base.entity';
import { TemplateEntity } from '../../read-model/infrastructure/template.entity';
import { VmSnapshotEntity } from '../../read-model/infrastructure/vm-snapshot.entity';
import { VolumeEntity } from '../../read-model/infrastructure/volume.entity';
import { NO_USAGE, type PoolUsage } from '../domain/pool-projection';
import { streamOf, type ProjectionChanges, type ProjectionTargets, type ProjectionView } from '../domain/project-event';
import type { VolumeBackupSetting } from '../domain/snapshot-backup-projection';
import type { PoolDriftRow } from '../../read-model/domain/rows';

/**
 * The projection's TypeORM edge: loads the rows an event touches and writes what the
 * pure projection returned, inside the caller's transaction.
 */
@Injectable()
export class ReadModelStore {
  /**
   * Locks the pool first: volume events of one pool arrive on different partitions, and
   * its usage is a read-modify-write. An advisory lock, because the pool row may not exist
   * yet. One lock order (pools in id order, then volume and job rows) keeps transactions
   * deadlock-free; only VolumeMigrated takes two pools (the one it leaves and the one it reaches).
   * Snapshot, snapshot policy and VM snapshot events take no pool lock: they change only their
   * snapshot's, policy's or VM snapshot's row (and its job). SnapshotBackupSet changes a volume
   * row, so it takes the volume's pool lock like the volume's own events.
   */
  async load(m: EntityManager, targets: ProjectionTargets, withPoolUsage: boolean): Promise<ProjectionView> {
    // Resizes, attachments, QoS changes and a migration's progress do not name the pool: it
    // is the volume's. Only VolumeMigrated changes that, and one volume's events share a
    // partition and are projected in order, so it cannot change under this read.
    const poolId = targets.poolId ?? (targets.volumeId ? await this.poolOfVolume(m, targets.volumeId) : undefined);
    const sourcePoolId = targets.sourcePoolId !== poolId ? targets.sourcePoolId : undefined;
    for (const id of [poolId, sourcePoolId].filter((p): p is string => p !== undefined).sort()) {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`orchestrator.pool:${id}`]);
    }
    // After the pool locks: a volume's events and its SnapshotBackupSet (which takes no pool
    // lock while the volume is unknown) are serialised, so the setting is either applied to the
    // volume row or read back from the history when the row is made.
    if (targets.volumeId) await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`orchestrator.volume:${targets.volumeId}`]);
    const pool = poolId ? await m.getRepository(PoolEntity).findOne({ where: { id: poolId } }) : null;
    const sourcePool = sourcePoolId ? await m.getRepository(PoolEntity).findOne({ where: { id: sourcePoolId } }) : null;
    const volume = targets.volumeId
      ? await m.getRepository(VolumeEntity).findOne({ where: { id: targets.volumeId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const volumeBackupSetting = targets.volumeId && !volume ? await this.backupSettingOf(m, targets.volumeId) : null;
    const host = targets.hostId
      ? await m.getRepository(HostEntity).findOne({ where: { id: targets.hostId }, lock: { mode: 'pessimistic_write' } })
      : null;
    // Under the pool's advisory lock: drift events and VolumeManaged arrive on different partitions.
    const drift = targets.driftPoolId ? await m.getRepository(PoolDriftEntity).findOne({ where: { poolId: targets.driftPoolId } }) : null;
    const snapshot = targets.snapshotId
      ? await m.getRepository(SnapshotEntity).findOne({ where: { id: targets.snapshotId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const policy = targets.policyId
      ? await m.getRepository(SnapshotPolicyEntity).findOne({ where: { id: targets.policyId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const vmSnapshot = targets.vmSnapshotId
      ? await m.getRepository(VmSnapshotEntity).findOne({ where: { id: targets.vmSnapshotId }, lock: { mode: 'pessimistic_write' } })
      : null;
    // Image events change only their own aggregate's row (and its job): no pool lock.
    const imageStore = targets.imageStoreId
      ? await m.getRepository(ImageStoreEntity).findOne({ where: { id: targets.imageStoreId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const template = targets.templateId
      ? await m.getRepository(TemplateEntity).findOne({ where: { id: targets.templateId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const templateBase = targets.templateBaseId
      ? await m.getRepository(TemplateBaseEntity).findOne({ where: { id: targets.templateBaseId }, lock: { mode: 'pessimistic_write' } })
      : null;
    // Backup events change only their own aggregate's row (and its job): no pool lock.
    const backupTarget = targets.backupTargetId
      ? await m.getRepository(BackupTargetEntity).findOne({ where: { id: targets.backupTargetId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const backup = targets.backupId
      ? await m.getRepository(BackupEntity).findOne({ where: { id: targets.backupId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const restore = targets.restoreId
      ? await m.getRepository(RestoreEntity).findOne({ where: { id: targets.restoreId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const backupSchedule = targets.backupScheduleId
      ? await m.getRepository(BackupScheduleEntity).findOne({ where: { id: targets.backupScheduleId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const ownerTenant = await this.ownerTenantOf(m, targets);
    const job = targets.jobId
      ? await m.getRepository(JobEntity).findOne({ where: { id: targets.jobId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const poolUsage = withPoolUsage && poolId && !pool ? await this.usageOf(m, poolId) : NO_USAGE;
    return { pool, sourcePool, poolUsage, volume, volumeBackupSetting, host, drift, snapshot, policy, vmSnapshot, imageStore, template, templateBase, backupTarget, backup, restore, backupSchedule, ownerTenant, job };
  }

  async save(m: EntityManager, view: ProjectionView, changes: ProjectionChanges): Promise<void> {
    if (changes.pool) await this.write(m, PoolEntity, view.pool !== null, changes.pool);
    if (changes.sourcePool) await this.write(m, PoolEntity, !!view.sourcePool, changes.sourcePool);
    if (changes.volume) await this.write(m, VolumeEntity, view.volume !== null, changes.volume);
    if (changes.host) await this.write(m, HostEntity, view.host !== null, changes.host);
    if (changes.drift) await this.writeDrift(m, view.drift !== null, changes.drift);
    if (changes.snapshot) await this.write(m, SnapshotEntity, !!view.snapshot, changes.snapshot);
    if (changes.policy) await this.write(m, SnapshotPolicyEntity, !!view.policy, changes.policy);
    if (changes.vmSnapshot) await this.write(m, VmSnapshotEntity, !!view.vmSnapshot, changes.vmSnapshot);
    if (changes.imageStore) await this.write(m, ImageStoreEntity, !!view.imageStore, changes.imageStore);
    if (changes.template) await this.write(m, TemplateEntity, !!view.template, changes.template);
    if (changes.templateBase) await this.write(m, TemplateBaseEntity, !!view.templateBase, changes.templateBase);
    if (changes.backupTarget) await this.write(m, BackupTargetEntity, !!view.backupTarget, changes.backupTarget);
    if (changes.backup) await this.write(m, BackupEntity, !!view.backup, changes.backup);
    if (changes.restore) await this.write(m, RestoreEntity, !!view.restore, changes.restore);
    if (changes.backupSchedule) await this.write(m, BackupScheduleEntity, !!view.backupSchedule, changes.backupSchedule);
    if (changes.job) await this.write(m, JobEntity, view.job !== null, changes.job);
    if (changes.history) {
      // The primary key (aggregate, version) makes a redelivered event a no-op.
      await m.createQueryBuilder().insert().into(AggregateEventEntity).values(changes.history as never).orIgnore().execute();
    }
  }

  private async write<T extends ObjectLiteral>(
    m: EntityManager,
    entity: EntityTarget<T>,
    exists: boolean,
    row: { id: string },
  ): Promise<void> {
    // seq is the database's; rows loaded as entities carry it, so it is dropped here.
    const { id, seq: _seq, ...columns } = row as { id: string; seq?: unknown } & Record<string, unknown>;
    if (exists) await m.getRepository(entity).update({ id } as never, columns as never);
    else await m.getRepository(entity).insert({ id, ...columns } as never);
  }

  private async writeDrift(m: EntityManager, exists: boolean, row: PoolDriftRow): Promise<void> {
    const { poolId, ...columns } = row;
    if (exists) await m.getRepository(PoolDriftEntity).update({ poolId }, columns as never);
    else await m.getRepository(PoolDriftEntity).insert(row as never);
  }

  /** The owner a backup takes from its volume, or a restore from its backup; read only (a tenant never changes). */
  private async ownerTenantOf(m: EntityManager, targets: ProjectionTargets): Promise<string | null> {
    if (targets.tenantOfVolumeId) {
      const volume = await m.getRepository(VolumeEntity).findOne({ where: { id: targets.tenantOfVolumeId }, select: { id: true, tenant: true } });
      return volume?.tenant ?? null;
    }
    if (targets.tenantOfBackupId) {
      const backup = await m.getRepository(BackupEntity).findOne({ where: { id: targets.tenantOfBackupId }, select: { id: true, tenant: true } });
      return backup?.tenant ?? null;
    }
    return null;
  }

  private async poolOfVolume(m: EntityManager, volumeId: string): Promise<string | undefined> {
    const volume = await m.getRepository(VolumeEntity).findOne({ where: { id: volumeId }, select: { id: true, poolId: true } });
    return volume?.poolId;
  }

  /** The latest SnapshotBackupSet in a volume's history (its snapshot settings stream), or null. */
  private async backupSettingOf(m: EntityManager, volumeId: string): Promise<VolumeBackupSetting | null> {
    const latest = await m.getRepository(AggregateEventEntity).findOne({
      where: { aggregateId: volumeId, stream: streamOf('SnapshotBackupSet') },
      order: { streamVersion: 'DESC' },
    });
    const data = latest?.envelope.data as { backupSnapshots?: unknown } | undefined;
    return latest && typeof data?.backupSnapshots === 'boolean' ? { backupSnapshots: data.backupSnapshots, version: latest.streamVersion } : null;
  }

  /** As adjustPoolUsage counts a volume: its size, or a grow in flight. */
  private async usageOf(m: EntityManager, poolId: string): Promise<PoolUsage> {
    const [row] = await m.query(
      `SELECT coalesce(sum(greatest(size_bytes, coalesce(resize_to_bytes, 0))) FILTER (WHERE allocated), 0)::text AS bytes,
              (count(*) FILTER (WHERE allocated))::int AS n, max(usage_changed_at) AS changed_at
         FROM "${ORCHESTRATOR_SCHEMA}".volumes WHERE pool_id = $1`,
      [poolId],
    );
    return { allocatedBytes: Number(row.bytes), volumeCount: row.n, changedAt: row.changed_at ? new Date(row.changed_at) : null };
  }
}
