import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The snapshot service's view of the storage service's pools and volumes (fed by the
 * storage events topic). Derived data: dropping both tables and the view consumer's inbox
 * rows rebuilds them from the topic, whose events are kept forever.
 */
export class StorageView1764300000000 implements MigrationInterface {
  name = 'StorageView1764300000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "snapshot".pools (
      pool_id uuid PRIMARY KEY,
      plugin text NOT NULL,
      config jsonb NOT NULL,
      zone_id text NOT NULL,
      status text NOT NULL,
      version integer NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE "snapshot".volumes (
      volume_id uuid PRIMARY KEY,
      pool_id uuid NOT NULL,
      backend_name text NOT NULL,
      status text NOT NULL,
      attached boolean NOT NULL,
      host_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
      attaching_host_id text,
      size_bytes bigint NOT NULL,
      version integer NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX volumes_pool_idx ON "snapshot".volumes (pool_id)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "snapshot".volumes`);
    await q.query(`DROP TABLE "snapshot".pools`);
  }
}
