import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * Volume migration, deferred creation and pool maintenance. A volume gains the status
 * migrating and, while a migration is in flight, the pool it moves to, how (native or copy)
 * and a copy's progress; and the status allocated (placed with its space reserved, made on
 * the backend only at its first attach). A pool gains the status maintenance with its phase
 * (entering, in_maintenance, failed) and, when it failed, why (an error like a volume's
 * last_error, with the volume whose move failed). Rows projected before this were neither
 * migrating, allocated nor in maintenance.
 */
export class MigrationMaintenance1764100000000 implements MigrationInterface {
  name = 'MigrationMaintenance1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${s}".volumes DROP CONSTRAINT volumes_status_check`);
    await q.query(`ALTER TABLE "${s}".volumes
      ADD CONSTRAINT volumes_status_check
        CHECK (status IN ('allocated', 'creating', 'ready', 'attached', 'resizing', 'migrating', 'error', 'deleting', 'deleted')),
      ADD COLUMN migration_to_pool_id uuid,
      ADD COLUMN migration_mode text CHECK (migration_mode IN ('native', 'copy')),
      ADD COLUMN migration_percent numeric CHECK (migration_percent BETWEEN 0 AND 100)`);

    await q.query(`ALTER TABLE "${s}".pools DROP CONSTRAINT pools_status_check`);
    await q.query(`ALTER TABLE "${s}".pools
      ADD CONSTRAINT pools_status_check CHECK (status IN ('enabled', 'disabled', 'maintenance', 'deleted')),
      ADD COLUMN maintenance_phase text CHECK (maintenance_phase IN ('entering', 'in_maintenance', 'failed')),
      ADD COLUMN maintenance_error jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Statuses the old constraints do not know fold into the nearest they do: a migrating
    // volume is where it settles without the migration; an allocated one holds its space with
    // nothing on the backend yet, as one being created; a pool in maintenance takes no new
    // volumes, as a disabled one.
    await q.query(`UPDATE "${s}".volumes
      SET status = CASE WHEN jsonb_array_length(attachments) > 0 THEN 'attached' ELSE 'ready' END
      WHERE status = 'migrating'`);
    await q.query(`UPDATE "${s}".volumes SET status = 'creating' WHERE status = 'allocated'`);
    await q.query(`ALTER TABLE "${s}".volumes DROP CONSTRAINT volumes_status_check`);
    await q.query(`ALTER TABLE "${s}".volumes
      DROP COLUMN migration_percent,
      DROP COLUMN migration_mode,
      DROP COLUMN migration_to_pool_id,
      ADD CONSTRAINT volumes_status_check
        CHECK (status IN ('creating', 'ready', 'attached', 'resizing', 'error', 'deleting', 'deleted'))`);

    await q.query(`UPDATE "${s}".pools SET status = 'disabled' WHERE status = 'maintenance'`);
    await q.query(`ALTER TABLE "${s}".pools DROP CONSTRAINT pools_status_check`);
    await q.query(`ALTER TABLE "${s}".pools
      DROP COLUMN maintenance_error,
      DROP COLUMN maintenance_phase,
      ADD CONSTRAINT pools_status_check CHECK (status IN ('enabled', 'disabled', 'deleted'))`);
  }
}
