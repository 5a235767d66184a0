import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The template-exports context's tables in the image schema. export_sources: the image
 * service's own view of the storage volumes and snapshots (size, deleted), fed from
 * strata.storage.events and strata.snapshot.events, for the size of the temporary volume a
 * template from a snapshot is cloned into; derived, so dropping it and the consumer's inbox
 * rows rebuilds it. template_export_members: which template a temporary volume or an export
 * belongs to (written with the TemplateRegistrationRequested that names them), so the
 * storage service's outcomes find their template.
 */
export class TemplateExports1764700000000 implements MigrationInterface {
  name = 'TemplateExports1764700000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "image".export_sources (
      source_id uuid PRIMARY KEY,
      kind text NOT NULL,
      volume_id uuid NOT NULL,
      size_bytes bigint NOT NULL,
      deleted boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE "image".template_export_members (
      member_id uuid PRIMARY KEY,
      template_id uuid NOT NULL
    )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "image".template_export_members`);
    await q.query(`DROP TABLE "image".export_sources`);
  }
}
