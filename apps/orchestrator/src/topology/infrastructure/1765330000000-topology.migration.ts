import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';

/**
 * GET /clusters walks the distinct (zone_id, cluster_id) pairs of pools and hosts in order,
 * one index probe per pair (a skip scan), and counts each page's clusters by the same index.
 * Zones use the zone_id indexes pools, hosts and image stores already have.
 */
export class Topology1765330000000 implements MigrationInterface {
  name = 'Topology1765330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX pools_zone_cluster_idx ON "${s}".pools (zone_id, cluster_id) WHERE cluster_id IS NOT NULL`);
    await q.query(`CREATE INDEX hosts_zone_cluster_idx ON "${s}".hosts (zone_id, cluster_id) WHERE cluster_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "${s}".hosts_zone_cluster_idx`);
    await q.query(`DROP INDEX "${s}".pools_zone_cluster_idx`);
  }
}
