import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The backup service's view of the storage service's volumes and the snapshot service's
 * snapshots (fed by their event topics): what CreateBackup and RestoreBackup check. Derived
 * data: dropping both tables and the view's inbox rows rebuilds them from the topics.
 */
export class BackupVolumeView1765100000000 implements MigrationInterface {
  name = 'BackupVolumeView1765100000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "backup".view_volumes (
      volume_id uuid PRIMARY KEY,
      pool_id uuid NOT NULL,
      size_bytes bigint NOT NULL,
      status text NOT NULL,
      host_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
      deleted boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE "backup".view_snapshots (
      snapshot_id uuid PRIMARY KEY,
      volume_id uuid NOT NULL,
      pool_id uuid,
      size_bytes bigint NOT NULL DEFAULT 0,
      status text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "backup".view_snapshots`);
    await q.query(`DROP TABLE "backup".view_volumes`);
  }
}
