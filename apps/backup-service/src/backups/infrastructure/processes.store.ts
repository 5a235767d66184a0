import { Injectable } from '@nestjs/common';
import type { CommandMeta } from '@strata/service-kit';
import { DataSource, type EntityManager } from 'typeorm';

export type ProcessKind = 'backup' | 'restore';

/** The processes tables (see the migration). */
@Injectable()
export class ProcessesStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Written with the process's first event: the job (the request's id) every later event reports to. */
  async start(m: EntityManager, processId: string, kind: ProcessKind, meta: CommandMeta): Promise<void> {
    await m.query(
      `INSERT INTO "backup".processes (process_id, kind, job_id, correlation_id, tenant) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (process_id) DO NOTHING`,
      [processId, kind, meta.causationId, meta.correlationId, meta.tenant],
    );
  }

  /** The job's metadata: later events of the process name the original request as their cause. */
  async meta(processId: string): Promise<CommandMeta | null> {
    const rows: { job_id: string; correlation_id: string; tenant: string | null }[] = await this.dataSource.query(
      `SELECT job_id, correlation_id, tenant FROM "backup".processes WHERE process_id = $1`,
      [processId],
    );
    return rows.length ? { causationId: rows[0].job_id, correlationId: rows[0].correlation_id, tenant: rows[0].tenant } : null;
  }

  async addRefs(m: EntityManager, processId: string, kind: ProcessKind, refIds: readonly string[]): Promise<void> {
    for (const refId of refIds) {
      await m.query(`INSERT INTO "backup".process_refs (ref_id, process_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [refId, processId, kind]);
    }
  }

  /** The processes an outcome may concern: by the command that caused it, or by its aggregate. */
  async processesOf(refIds: readonly string[]): Promise<{ processId: string; kind: ProcessKind }[]> {
    const ids = refIds.filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));
    if (!ids.length) return [];
    const rows: { process_id: string; kind: ProcessKind }[] = await this.dataSource.query(
      `SELECT DISTINCT process_id, kind FROM "backup".process_refs WHERE ref_id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((r) => ({ processId: r.process_id, kind: r.kind }));
  }

  async recordBackup(m: EntityManager, backupId: string, volumeId: string, targetId: string): Promise<void> {
    await m.query(
      `INSERT INTO "backup".backups (backup_id, volume_id, target_id, status) VALUES ($1, $2, $3, 'running') ON CONFLICT (backup_id) DO NOTHING`,
      [backupId, volumeId, targetId],
    );
  }

  async backupStatus(m: EntityManager, backupId: string, status: string, completedAt?: Date): Promise<void> {
    await m.query(`UPDATE "backup".backups SET status = $2, completed_at = coalesce($3, completed_at) WHERE backup_id = $1`, [backupId, status, completedAt ?? null]);
  }

  /** How many of this installation's backups are running on the target (garbage collection waits for them). */
  async runningOn(targetId: string): Promise<number> {
    const [{ n }]: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM "backup".backups WHERE target_id = $1 AND status = 'running'`, [targetId]);
    return n;
  }

  /** The newest completed (and kept) backup of the volume on the target: an incremental backup's parent. */
  async latestCompleted(volumeId: string, targetId: string): Promise<string | null> {
    const rows: { backup_id: string }[] = await this.dataSource.query(
      `SELECT backup_id FROM "backup".backups WHERE volume_id = $1 AND target_id = $2 AND status = 'completed' ORDER BY completed_at DESC LIMIT 1`,
      [volumeId, targetId],
    );
    return rows.length ? rows[0].backup_id : null;
  }
}
