import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * Snapshot policies, projected from the snapshot events topic (SnapshotPolicyCreated,
 * SnapshotPolicyDeleted, SnapshotPolicyRunTaken). No foreign key to volumes: the two topics
 * are consumed independently, so a policy may be projected before its volume.
 */
export class SnapshotPolicies1764300000000 implements MigrationInterface {
  name = 'SnapshotPolicies1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${s}".snapshot_policies (
      policy_id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      volume_id uuid NOT NULL,
      tenant text,
      schedule jsonb NOT NULL,
      retention integer NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'deleted')),
      last_run_due_at timestamptz,
      last_snapshot_id uuid,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT snapshot_policies_seq_uq UNIQUE (seq)
    )`);
    // Keyset pages walk seq; each filter gets (filter, seq) so a page is one index range.
    await q.query(`CREATE INDEX snapshot_policies_live_seq_idx ON "${s}".snapshot_policies (seq) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX snapshot_policies_volume_seq_idx ON "${s}".snapshot_policies (volume_id, seq)`);
    await q.query(`CREATE INDEX snapshot_policies_status_seq_idx ON "${s}".snapshot_policies (status, seq)`);
    await q.query(`CREATE INDEX snapshot_policies_tenant_seq_idx ON "${s}".snapshot_policies (tenant, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${s}".snapshot_policies`);
  }
}
