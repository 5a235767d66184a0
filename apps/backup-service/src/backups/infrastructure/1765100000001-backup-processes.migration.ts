import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tables of the backups and restores, written in the transactions of their events:
 * processes (the job each one reports to), process_refs (the commands each sent and the
 * volumes and snapshots it made or uses, so an outcome on the storage and snapshot topics
 * finds its backup or restore) and backups (the catalog: a volume's chain on a target, for
 * choosing an incremental backup's parent).
 */
export class BackupProcesses1765100000001 implements MigrationInterface {
  name = 'BackupProcesses1765100000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "backup".processes (
      process_id uuid PRIMARY KEY,
      kind text NOT NULL,
      job_id text NOT NULL,
      correlation_id text NOT NULL,
      tenant text
    )`);
    await q.query(`CREATE TABLE "backup".process_refs (
      ref_id uuid NOT NULL,
      process_id uuid NOT NULL,
      kind text NOT NULL,
      PRIMARY KEY (ref_id, process_id)
    )`);
    await q.query(`CREATE TABLE "backup".backups (
      backup_id uuid PRIMARY KEY,
      volume_id uuid NOT NULL,
      target_id uuid NOT NULL,
      status text NOT NULL,
      completed_at timestamptz
    )`);
    await q.query(`CREATE INDEX backups_chain_idx ON "backup".backups (volume_id, target_id, completed_at)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "backup".backups`);
    await q.query(`DROP TABLE "backup".process_refs`);
    await q.query(`DROP TABLE "backup".processes`);
  }
}
