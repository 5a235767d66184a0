import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';

/**
 * API keys: looked up by the sha256 of the secret (unique), listed by seq. The partial
 * index finds the active admin keys, which revocation counts (the last one stays).
 */
export class ApiKeys1765300000000 implements MigrationInterface {
  name = 'ApiKeys1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${s}".api_keys (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'operator', 'tenant')),
      tenant text,
      prefix text NOT NULL,
      secret_hash text NOT NULL,
      created_by uuid,
      created_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_by uuid,
      last_used_at timestamptz,
      CONSTRAINT api_keys_seq_uq UNIQUE (seq),
      CONSTRAINT api_keys_secret_hash_uq UNIQUE (secret_hash),
      CONSTRAINT api_keys_tenant_ck CHECK ((role = 'tenant') = (tenant IS NOT NULL))
    )`);
    await q.query(`CREATE INDEX api_keys_active_admin_idx ON "${s}".api_keys (id) WHERE role = 'admin' AND revoked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${s}".api_keys`);
  }
}
