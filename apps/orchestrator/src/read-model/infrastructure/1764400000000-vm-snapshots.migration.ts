import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * VM snapshots, projected from the snapshot events topic (VmSnapshot*); no foreign key to
 * volumes, as for snapshots. Volumes keep the snapshot they were made from (source) and
 * whether their snapshots are also backed up (SnapshotBackupSet, with the version of the
 * snapshot service's settings stream it came from); snapshots whether they are backed up.
 */
export class VmSnapshots1764400000000 implements MigrationInterface {
  name = 'VmSnapshots1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${s}".vm_snapshots (
      vm_snapshot_id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      vm_id text NOT NULL,
      name text NOT NULL,
      tenant text,
      status text NOT NULL CHECK (status IN ('creating', 'ready', 'reverting', 'error', 'deleting', 'deleted')),
      members jsonb NOT NULL,
      last_error jsonb,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT vm_snapshots_seq_uq UNIQUE (seq)
    )`);
    // Keyset pages walk seq; each filter gets (filter, seq) so a page is one index range.
    await q.query(`CREATE INDEX vm_snapshots_live_seq_idx ON "${s}".vm_snapshots (seq) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX vm_snapshots_vm_seq_idx ON "${s}".vm_snapshots (vm_id, seq)`);
    await q.query(`CREATE INDEX vm_snapshots_status_seq_idx ON "${s}".vm_snapshots (status, seq)`);
    await q.query(`CREATE INDEX vm_snapshots_tenant_seq_idx ON "${s}".vm_snapshots (tenant, seq)`);

    await q.query(`ALTER TABLE "${s}".volumes ADD COLUMN source jsonb`);
    await q.query(`ALTER TABLE "${s}".volumes ADD COLUMN backup_snapshots boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "${s}".volumes ADD COLUMN backup_snapshots_version integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE "${s}".snapshots ADD COLUMN backup boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${s}".snapshots DROP COLUMN backup`);
    await q.query(`ALTER TABLE "${s}".volumes DROP COLUMN backup_snapshots_version`);
    await q.query(`ALTER TABLE "${s}".volumes DROP COLUMN backup_snapshots`);
    await q.query(`ALTER TABLE "${s}".volumes DROP COLUMN source`);
    await q.query(`DROP TABLE "${s}".vm_snapshots`);
  }
}
