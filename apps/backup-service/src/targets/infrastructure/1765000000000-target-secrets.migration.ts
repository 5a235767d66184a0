import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Backup targets' credentials, sealed (SecretBox), kept apart from the event log so no event ever holds them. */
export class BackupTargetSecrets1765000000000 implements MigrationInterface {
  name = 'BackupTargetSecrets1765000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "backup".target_secrets (
      target_id uuid PRIMARY KEY,
      sealed text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "backup".target_secrets`);
  }
}
