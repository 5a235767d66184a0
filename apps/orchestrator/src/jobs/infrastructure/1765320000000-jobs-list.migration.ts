import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';

/**
 * GET /jobs pages newest first by (created_at, id); each filter gets (filter, created_at, id)
 * so a page is one backward index range at any size. The one on aggregate_id replaces the
 * plain index on it (a prefix of the new one).
 */
export class JobsList1765320000000 implements MigrationInterface {
  name = 'JobsList1765320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX jobs_created_idx ON "${s}".jobs (created_at, id)`);
    await q.query(`CREATE INDEX jobs_status_created_idx ON "${s}".jobs (status, created_at, id)`);
    await q.query(`CREATE INDEX jobs_type_created_idx ON "${s}".jobs (command_type, created_at, id)`);
    await q.query(`CREATE INDEX jobs_tenant_created_idx ON "${s}".jobs (tenant, created_at, id)`);
    await q.query(`CREATE INDEX jobs_aggregate_created_idx ON "${s}".jobs (aggregate_id, created_at, id)`);
    await q.query(`DROP INDEX "${s}".jobs_aggregate_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX jobs_aggregate_idx ON "${s}".jobs (aggregate_id)`);
    await q.query(`DROP INDEX "${s}".jobs_aggregate_created_idx`);
    await q.query(`DROP INDEX "${s}".jobs_tenant_created_idx`);
    await q.query(`DROP INDEX "${s}".jobs_type_created_idx`);
    await q.query(`DROP INDEX "${s}".jobs_status_created_idx`);
    await q.query(`DROP INDEX "${s}".jobs_created_idx`);
  }
}
