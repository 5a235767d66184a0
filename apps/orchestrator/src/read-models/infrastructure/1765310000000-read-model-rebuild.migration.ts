import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';

/**
 * The read models' generation: which consumer group projects the event topics now, and
 * whether a rebuild (a new group replaying every topic from the beginning) is under way.
 * One row. A restart reads it to continue the same generation; end_offsets are the topics'
 * end offsets when the rebuild started ({"topic:partition": {low, high}}), what "caught up" means.
 */
export class ReadModelRebuild1765310000000 implements MigrationInterface {
  name = 'ReadModelRebuild1765310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${s}".read_model_state (
      id integer PRIMARY KEY CHECK (id = 1),
      generation integer NOT NULL,
      state text NOT NULL CHECK (state IN ('live', 'rebuilding')),
      job_id text,
      started_at timestamptz,
      finished_at timestamptz,
      end_offsets jsonb NOT NULL DEFAULT '{}'::jsonb,
      events_to_replay bigint NOT NULL DEFAULT 0,
      events_replayed bigint NOT NULL DEFAULT 0
    )`);
    // Generation 0 is the group the projection always had (orchestrator-projections).
    await q.query(`INSERT INTO "${s}".read_model_state (id, generation, state) VALUES (1, 0, 'live')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${s}".read_model_state`);
  }
}
