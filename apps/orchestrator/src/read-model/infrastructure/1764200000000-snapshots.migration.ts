import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * Volume snapshots, projected from the snapshot events topic. No foreign key to volumes:
 * the two topics are consumed independently, so a snapshot may be projected before its
 * volume. policy_id is text: a policy's id is the snapshot service's to choose.
 */
export class Snapshots1764200000000 implements MigrationInterface {
  name = 'Snapshots1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${s}".snapshots (
      snapshot_id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      volume_id uuid NOT NULL,
      name text NOT NULL,
      pool_id uuid NOT NULL,
      tenant text,
      backend_name text NOT NULL,
      volume_backend_name text,
      status text NOT NULL CHECK (status IN ('creating', 'ready', 'reverting', 'error', 'deleting', 'deleted')),
      size_bytes bigint,
      policy_id text,
      due_at timestamptz,
      last_error jsonb,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT snapshots_seq_uq UNIQUE (seq)
    )`);
    // Keyset pages walk seq; each filter gets (filter, seq) so a page is one index range.
    await q.query(`CREATE INDEX snapshots_live_seq_idx ON "${s}".snapshots (seq) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX snapshots_volume_seq_idx ON "${s}".snapshots (volume_id, seq)`);
    await q.query(`CREATE INDEX snapshots_status_seq_idx ON "${s}".snapshots (status, seq)`);
    await q.query(`CREATE INDEX snapshots_tenant_seq_idx ON "${s}".snapshots (tenant, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${s}".snapshots`);
  }
}
