import { Injectable } from '@nestjs/common';
import type { EntityManager, ObjectLiteral, EntityTarget } from 'typeorm';
import { AggregateEventEntity } from '../../read-model/infrastructure/aggregate-event.entity';
import { JobEntity } from '../../read-model/infrastructure/job.entity';
import { PoolEntity } from '../../read-model/infrastructure/pool.entity';
import { ORCHESTRATOR_SCHEMA } from '../../read-model/infrastructure/schema';
import { VolumeEntity } from '../../read-model/infrastructure/volume.entity';
import { NO_USAGE, type PoolUsage } from '../domain/pool-projection';
import type { ProjectionChanges, ProjectionTargets, ProjectionView } from '../domain/project-event';

/**
 * The projection's TypeORM edge: loads the rows an event touches and writes what the
 * pure projection returned, inside the caller's transaction.
 */
@Injectable()
export class ReadModelStore {
  /**
   * Locks the pool first: volume events of one pool arrive on different partitions, and
   * its usage is a read-modify-write. An advisory lock, because the pool row may not exist
   * yet. One lock order (pool, then volume and job rows) keeps transactions deadlock-free.
   */
  async load(m: EntityManager, targets: ProjectionTargets, withPoolUsage: boolean): Promise<ProjectionView> {
    if (targets.poolId) {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`orchestrator.pool:${targets.poolId}`]);
    }
    const pool = targets.poolId ? await m.getRepository(PoolEntity).findOne({ where: { id: targets.poolId } }) : null;
    const volume = targets.volumeId
      ? await m.getRepository(VolumeEntity).findOne({ where: { id: targets.volumeId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const job = targets.jobId
      ? await m.getRepository(JobEntity).findOne({ where: { id: targets.jobId }, lock: { mode: 'pessimistic_write' } })
      : null;
    const poolUsage = withPoolUsage && targets.poolId && !pool ? await this.usageOf(m, targets.poolId) : NO_USAGE;
    return { pool, poolUsage, volume, job };
  }

  async save(m: EntityManager, view: ProjectionView, changes: ProjectionChanges): Promise<void> {
    if (changes.pool) await this.write(m, PoolEntity, view.pool !== null, changes.pool);
    if (changes.volume) await this.write(m, VolumeEntity, view.volume !== null, changes.volume);
    if (changes.job) await this.write(m, JobEntity, view.job !== null, changes.job);
    if (changes.history) {
      // The primary key (aggregate, version) makes a redelivered event a no-op.
      await m.createQueryBuilder().insert().into(AggregateEventEntity).values(changes.history as never).orIgnore().execute();
    }
  }

  private async write<T extends ObjectLiteral>(
    m: EntityManager,
    entity: EntityTarget<T>,
    exists: boolean,
    row: { id: string },
  ): Promise<void> {
    // seq is the database's; rows loaded as entities carry it, so it is dropped here.
    const { id, seq: _seq, ...columns } = row as { id: string; seq?: unknown } & Record<string, unknown>;
    if (exists) await m.getRepository(entity).update({ id } as never, columns as never);
    else await m.getRepository(entity).insert({ id, ...columns } as never);
  }

  private async usageOf(m: EntityManager, poolId: string): Promise<PoolUsage> {
    const [row] = await m.query(
      `SELECT coalesce(sum(size_bytes), 0)::text AS bytes, count(*)::int AS n
         FROM "${ORCHESTRATOR_SCHEMA}".volumes WHERE pool_id = $1 AND allocated`,
      [poolId],
    );
    return { allocatedBytes: Number(row.bytes), volumeCount: row.n };
  }
}
