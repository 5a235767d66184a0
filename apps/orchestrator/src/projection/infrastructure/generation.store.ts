import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';
import type { GenerationState, PartitionRange, ReadModelState } from '../domain/generation';

/**
 * Taken shared by every projection transaction and exclusively by a rebuild's start: no
 * event is projected across the moment the tables are emptied and the generation changes.
 */
const FENCE = 'orchestrator.read-models.generation';

interface StateRow {
  generation: number;
  state: ReadModelState;
  job_id: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  end_offsets: Record<string, PartitionRange>;
  events_to_replay: string;
  events_replayed: string;
}

const toState = (r: StateRow): GenerationState => ({
  generation: r.generation,
  state: r.state,
  jobId: r.job_id,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  endOffsets: r.end_offsets,
  eventsToReplay: Number(r.events_to_replay),
  eventsReplayed: Number(r.events_replayed),
});

/** The read_model_state row: the generation the projection writes for. */
@Injectable()
export class GenerationStore {
  constructor(private readonly dataSource: DataSource) {}

  async current(m: Pick<EntityManager, 'query'> = this.dataSource, forUpdate = false): Promise<GenerationState> {
    const [row] = (await m.query(`SELECT * FROM "${s}".read_model_state WHERE id = 1${forUpdate ? ' FOR UPDATE' : ''}`)) as StateRow[];
    return toState(row);
  }

  /** In a projection transaction: waits out a rebuild's start, then says which generation is current. */
  async fenceShared(m: EntityManager): Promise<GenerationState> {
    await m.query(`SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))`, [FENCE]);
    return this.current(m);
  }

  /** In a rebuild's start: no projection transaction runs until this one commits. */
  async fenceExclusive(m: EntityManager): Promise<GenerationState> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [FENCE]);
    return this.current(m, true);
  }
}
