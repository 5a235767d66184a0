import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bases context's tables in the image schema. base_pools: its own view of the storage
 * service's pools (zone, deleted), fed from strata.storage.events; derived, so dropping it
 * and the bases consumer's inbox rows rebuilds it from the topic. template_bases and
 * base_members: which bases a template has, and which base a storage volume or snapshot
 * belongs to (written with the TemplateSpoolRequested that names them), so outcome events
 * find their base.
 */
export class TemplateBases1764600000000 implements MigrationInterface {
  name = 'TemplateBases1764600000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "image".base_pools (
      pool_id uuid PRIMARY KEY,
      zone_id text NOT NULL,
      deleted boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE "image".template_bases (
      base_id uuid PRIMARY KEY,
      template_id uuid NOT NULL,
      pool_id uuid NOT NULL
    )`);
    await q.query(`CREATE INDEX template_bases_template_idx ON "image".template_bases (template_id)`);
    await q.query(`CREATE TABLE "image".base_members (
      member_id uuid PRIMARY KEY,
      base_id uuid NOT NULL,
      kind text NOT NULL
    )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "image".base_members`);
    await q.query(`DROP TABLE "image".template_bases`);
    await q.query(`DROP TABLE "image".base_pools`);
  }
}
