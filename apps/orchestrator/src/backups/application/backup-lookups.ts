import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { backupNotFound, backupScheduleNotFound, backupTargetNotFound, restoreNotFound } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import type { BackupRow, BackupScheduleRow, BackupTargetRow, RestoreRow } from '../../read-model/domain/rows';
import { BackupEntity, BackupScheduleEntity, BackupTargetEntity, RestoreEntity } from '../../read-model/infrastructure/backup.entities';
import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';
import { backupChain } from '../domain/backup-request';

/** Whether a tenant-owned row is the caller's (an operator sees every one). */
const mine = (row: { tenant: string | null }, context: RequestContext) => context.tenant === null || row.tenant === context.tenant;

/**
 * The backup read models by id, as the caller may see them: targets are infrastructure (any
 * caller reads them); a backup, restore or schedule is its volume's owner's, and another
 * tenant's answers 404, as an unknown id.
 */
@Injectable()
export class BackupLookups {
  constructor(private readonly dataSource: DataSource) {}

  async target(id: string): Promise<BackupTargetRow> {
    const target = await this.dataSource.getRepository(BackupTargetEntity).findOne({ where: { id } });
    if (!target) throw backupTargetNotFound(id);
    return target;
  }

  async backup(id: string, context: RequestContext): Promise<BackupRow> {
    const backup = await this.dataSource.getRepository(BackupEntity).findOne({ where: { id } });
    if (!backup || !mine(backup, context)) throw backupNotFound(id);
    return backup;
  }

  async restore(id: string, context: RequestContext): Promise<RestoreRow> {
    const restore = await this.dataSource.getRepository(RestoreEntity).findOne({ where: { id } });
    if (!restore || !mine(restore, context)) throw restoreNotFound(id);
    return restore;
  }

  async schedule(id: string, context: RequestContext): Promise<BackupScheduleRow> {
    const schedule = await this.dataSource.getRepository(BackupScheduleEntity).findOne({ where: { id } });
    if (!schedule || !mine(schedule, context)) throw backupScheduleNotFound(id);
    return schedule;
  }

  /** The backup's chain: its parents' ids, nearest first, up to the full one. */
  async chainOf(backup: BackupRow): Promise<string[]> {
    if (!backup.parentBackupId) return [];
    const rows: { id: string; parent: string | null; depth: number }[] = await this.dataSource.query(
      `WITH RECURSIVE chain(id, parent, depth) AS (
         SELECT backup_id, parent_backup_id, 1 FROM "${s}".backups WHERE backup_id = $1
         UNION ALL
         SELECT b.backup_id, b.parent_backup_id, c.depth + 1 FROM "${s}".backups b JOIN chain c ON b.backup_id = c.parent
          WHERE c.depth < 10000
       ) SELECT id, parent, depth FROM chain ORDER BY depth`,
      [backup.parentBackupId],
    );
    // A parent not projected (yet) still ends the list with its id.
    const parents = new Map(rows.map((r) => [r.id, { id: r.id, parentBackupId: r.parent }]));
    return backupChain(backup, parents);
  }
}
