import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Pool credentials, sealed (SecretBox), kept apart from the event log so no event ever holds them. */
export class PoolSecrets1763900000000 implements MigrationInterface {
  name = 'PoolSecrets1763900000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "storage".pool_secrets (
      pool_id uuid PRIMARY KEY,
      sealed text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "storage".pool_secrets`);
  }
}
