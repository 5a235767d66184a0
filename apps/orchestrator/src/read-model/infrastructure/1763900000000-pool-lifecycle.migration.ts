import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * The pool lifecycle: a pool is enabled, disabled (with the operator's reason) or
 * deleted, and carries its placement settings. Pools projected before this migration
 * were all enabled, with the defaults StoragePoolAdded now implies when it says nothing
 * (any hypervisor, IOPS unknown, no over-provisioning, threshold 0.85), and their
 * capacity was last measured when they were added.
 */
export class PoolLifecycle1763900000000 implements MigrationInterface {
  name = 'PoolLifecycle1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${s}".pools
      ADD COLUMN disabled_reason text,
      ADD COLUMN hypervisors text[] NOT NULL DEFAULT '{}',
      ADD COLUMN capacity_iops bigint,
      ADD COLUMN over_provisioning_factor numeric NOT NULL DEFAULT 1,
      ADD COLUMN allocation_disable_threshold numeric NOT NULL DEFAULT 0.85,
      ADD COLUMN capacity_measured_at timestamptz`);
    await q.query(`UPDATE "${s}".pools SET capacity_measured_at = created_at`);
    await q.query(`ALTER TABLE "${s}".pools ALTER COLUMN capacity_measured_at SET NOT NULL`);
    // Until now the column took any text, and only 'enabled' was ever written.
    await q.query(`ALTER TABLE "${s}".pools
      ADD CONSTRAINT pools_status_check CHECK (status IN ('enabled', 'disabled', 'deleted'))`);
    // GET /pools pages by seq, without the deleted ones unless asked, or by status or zone.
    await q.query(`CREATE INDEX pools_live_seq_idx ON "${s}".pools (seq) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX pools_status_seq_idx ON "${s}".pools (status, seq)`);
    await q.query(`CREATE INDEX pools_zone_seq_idx ON "${s}".pools (zone_id, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "${s}".pools_zone_seq_idx`);
    await q.query(`DROP INDEX "${s}".pools_status_seq_idx`);
    await q.query(`DROP INDEX "${s}".pools_live_seq_idx`);
    await q.query(`ALTER TABLE "${s}".pools DROP CONSTRAINT pools_status_check`);
    await q.query(`ALTER TABLE "${s}".pools
      DROP COLUMN capacity_measured_at,
      DROP COLUMN allocation_disable_threshold,
      DROP COLUMN over_provisioning_factor,
      DROP COLUMN capacity_iops,
      DROP COLUMN hypervisors,
      DROP COLUMN disabled_reason`);
  }
}
