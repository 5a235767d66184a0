import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DomainError } from '@strata/kernel';
import { Clock, IdGenerator } from '@strata/service-kit';
import { DataSource } from 'typeorm';
import { EventTopicsConsumer } from '../../projection/application/event-topics.consumer';
import { projectedBeforeConsumer, projectionGroupOf, PROJECTION_CONSUMER, type GenerationState } from '../../projection/domain/generation';
import { GenerationStore } from '../../projection/infrastructure/generation.store';
import { JobEntity } from '../../read-model/infrastructure/job.entity';
import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';
import { caughtUp, eventsReplayed, eventsToReplay, percentDone } from '../domain/rebuild-progress';
import { rebuildNotStarted, rebuildRunning } from '../domain/read-models.errors';
import { KafkaOffsets } from '../infrastructure/kafka-offsets';
import { emptyTopicDerivedTables } from '../infrastructure/read-model-tables';

/** The job's command type: a rebuild is no service's command, but it is followed like one. */
export const REBUILD_JOB_TYPE = 'RebuildReadModels';
const WATCH_MS = 1000;

/**
 * Rebuilds the read models from the event topics: in one transaction (under the projection's
 * generation fence, so no event is projected across it) the topic-derived tables are emptied,
 * the projection's inbox claims are set aside and the generation moves on; every instance's
 * projection then consumes with the new generation's group, from the beginning of every topic.
 * The rebuild is done when that group has committed, on every partition, the end offset seen
 * at the start. Deploy sagas do not react again to what the replaced generation projected
 * (ProjectStorageEventHandler).
 */
@Injectable()
export class ReadModelRebuild implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('ReadModelRebuild');
  private starting?: Promise<void>;
  private watcher?: NodeJS.Timeout;
  private checking = false;
  private closed = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly generations: GenerationStore,
    private readonly projection: EventTopicsConsumer,
    private readonly offsets: KafkaOffsets,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  /** A rebuild under way when this instance started (a restart mid-rebuild) is watched to its end. */
  async onApplicationBootstrap(): Promise<void> {
    if ((await this.generations.current()).state === 'rebuilding') this.watch();
  }

  onModuleDestroy(): void {
    this.closed = true;
    clearInterval(this.watcher);
    this.watcher = undefined;
  }

  /**
   * POST /read-models/rebuild: records the job and starts the rebuild (the tables are emptied
   * and the new generation recorded when this returns; the replay goes on behind the job).
   * Refused while one runs (read_models.rebuild_running); two requests racing past the first
   * check on two instances both get a job, and the start's transaction fails the second with
   * that code. Any other failure to start fails the job (the old generation stays).
   */
  async request(): Promise<string> {
    const state = await this.generations.current();
    if (this.starting || state.state === 'rebuilding') throw rebuildRunning(state.jobId);
    const jobId = this.ids.newId();
    const at = this.clock.now();
    const started = (async () => {
      await this.dataSource.getRepository(JobEntity).insert({
        id: jobId,
        commandType: REBUILD_JOB_TYPE,
        aggregateId: null,
        tenant: null,
        status: 'accepted',
        result: null,
        error: null,
        progress: 0,
        createdAt: at,
        updatedAt: at,
      } as never);
      return this.begin(jobId);
    })();
    this.starting = started.then(() => undefined, () => undefined).finally(() => (this.starting = undefined));
    // A failed start is the job's (failed); only the lost race is the request's answer.
    const failure = await started;
    if (failure?.code === 'read_models.rebuild_running') throw failure;
    return jobId;
  }

  /**
   * --rebuild-read-models: a rebuild from scratch, waited for. A rebuild already under way
   * (this instance was restarted during one) is continued rather than started again.
   */
  async runToCompletion(): Promise<GenerationState> {
    const state = await this.generations.current();
    if (state.state !== 'rebuilding') {
      const jobId = await this.request();
      const job = await this.dataSource.getRepository(JobEntity).findOneByOrFail({ id: jobId });
      if (job.status === 'failed') throw new Error(`read model rebuild failed: ${job.error?.message ?? 'unknown error'}`);
    }
    for (;;) {
      if (this.closed) throw new Error('shut down before the read model rebuild finished');
      const now = await this.generations.current();
      if (now.state === 'live') return now;
      await this.check();
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Empties and moves the generation on, in one transaction; the replay then runs behind the job. Answers why it did not start. */
  private async begin(jobId: string): Promise<DomainError | null> {
    try {
      const topics = this.projection.eventTopics();
      // Read before the transaction: what arrives after is past the end and replayed all the same.
      const ends = await this.offsets.partitions(topics);
      const generation = await this.dataSource.transaction(async (m) => {
        const state = await this.generations.fenceExclusive(m);
        if (state.state === 'rebuilding') throw rebuildRunning(state.jobId);
        const next = state.generation + 1;
        await m.query(`UPDATE "${s}".inbox SET consumer = $1 WHERE consumer = $2`, [projectedBeforeConsumer(next), PROJECTION_CONSUMER]);
        await emptyTopicDerivedTables(m);
        await m.query(
          `UPDATE "${s}".read_model_state SET generation = $1, state = 'rebuilding', job_id = $2, started_at = $3, finished_at = NULL,
             end_offsets = $4, events_to_replay = $5, events_replayed = 0 WHERE id = 1`,
          [next, jobId, this.clock.now(), JSON.stringify(ends), eventsToReplay(ends)],
        );
        await m.getRepository(JobEntity).update({ id: jobId }, { status: 'running', progress: 0, updatedAt: this.clock.now() });
        return next;
      });
      this.log.log(`rebuilding the read models: generation ${generation}, ${eventsToReplay(ends)} events to replay`);
    } catch (error) {
      return this.fail(jobId, error);
    }
    // Behind the answer: joining the new group takes a few seconds; the other instances follow by polling.
    void this.projection.follow().catch((e: unknown) => this.log.warn(`projection did not switch yet: ${(e as Error).message}`));
    this.watch();
    return null;
  }

  private async fail(jobId: string, error: unknown): Promise<DomainError> {
    this.log.error(`read model rebuild not started: ${(error as Error).message}`);
    const e = error instanceof DomainError ? error : rebuildNotStarted((error as Error).message);
    await this.dataSource
      .getRepository(JobEntity)
      .update({ id: jobId }, { status: 'failed', error: { code: e.code, category: e.category, message: e.message, violations: [] }, updatedAt: this.clock.now() } as never)
      .catch(() => undefined);
    return e;
  }

  private watch(): void {
    if (this.watcher || this.closed) return;
    this.watcher = setInterval(() => void this.check(), WATCH_MS);
    this.watcher.unref();
  }

  /** Moves the job's progress, and ends the rebuild once caught up (on whichever instance sees it first). */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const state = await this.generations.current();
      if (state.state !== 'rebuilding') {
        clearInterval(this.watcher);
        this.watcher = undefined;
        return;
      }
      const committed = await this.offsets.committed(projectionGroupOf(state.generation), this.projection.eventTopics());
      const replayed = eventsReplayed(state.endOffsets, committed);
      if (caughtUp(state.endOffsets, committed)) await this.finish(state);
      else if (replayed !== state.eventsReplayed) await this.advance(state, replayed);
    } catch (error) {
      this.log.warn(`rebuild progress check failed: ${(error as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  private async advance(state: GenerationState, replayed: number): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.query(`UPDATE "${s}".read_model_state SET events_replayed = $1 WHERE id = 1 AND generation = $2 AND state = 'rebuilding'`, [replayed, state.generation]);
      if (state.jobId) await m.getRepository(JobEntity).update({ id: state.jobId }, { progress: percentDone(replayed, state.eventsToReplay), updatedAt: this.clock.now() });
    });
  }

  private async finish(state: GenerationState): Promise<void> {
    const finished = await this.dataSource.transaction(async (m) => {
      const now = await this.generations.current(m, true);
      if (now.state !== 'rebuilding' || now.generation !== state.generation) return false;
      const at = this.clock.now();
      await m.query(`UPDATE "${s}".read_model_state SET state = 'live', finished_at = $1, events_replayed = events_to_replay WHERE id = 1`, [at]);
      await m.query(`DELETE FROM "${s}".inbox WHERE consumer = $1`, [projectedBeforeConsumer(state.generation)]);
      if (state.jobId) {
        await m.getRepository(JobEntity).update(
          { id: state.jobId },
          { status: 'succeeded', progress: 100, result: { generation: state.generation, eventsReplayed: state.eventsToReplay }, updatedAt: at } as never,
        );
      }
      return true;
    });
    clearInterval(this.watcher);
    this.watcher = undefined;
    if (!finished) return;
    this.log.log(`read models rebuilt: generation ${state.generation}, ${state.eventsToReplay} events replayed`);
    // The replaced generation's group has no members left once every instance switched (they
    // follow within seconds); deleting it keeps per-group lag dashboards from showing it forever.
    await this.offsets.deleteGroup(projectionGroupOf(state.generation - 1)).catch((e: unknown) => this.log.warn(`old projection group not deleted: ${(e as Error).message}`));
  }
}
