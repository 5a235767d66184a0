import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * When a volume last changed what it holds of its pool (the time of that event). A rebuild may
 * replay a pool's volumes before the pool itself; the pool's StoragePoolAdded then takes its
 * updatedAt from them, as the live projection had moved it. Null on rows projected before this
 * column (a rebuild fills it).
 */
export class VolumeUsageChangedAt1765340000000 implements MigrationInterface {
  name = 'VolumeUsageChangedAt1765340000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${s}".volumes ADD COLUMN usage_changed_at timestamptz NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${s}".volumes DROP COLUMN usage_changed_at`);
  }
}
