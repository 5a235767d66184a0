import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * Where a template came from ({kind: url, url}, {kind: upload}, {kind: volume, volumeId},
 * {kind: snapshot, volumeId, snapshotId}), from its TemplateRegistrationRequested. Null on
 * rows projected before this column: the event's history still has it.
 */
export class TemplateSources1764710000000 implements MigrationInterface {
  name = 'TemplateSources1764710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${s}".templates ADD COLUMN source jsonb NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${s}".templates DROP COLUMN source`);
  }
}
