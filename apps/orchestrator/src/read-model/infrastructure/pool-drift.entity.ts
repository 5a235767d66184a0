import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DriftMissing, DriftOrphan, DriftState, OrphanRemovalRecord, PoolDriftRow } from '../domain/rows';

/** One row per pool that has a drift record; a pool without one was never reconciled. */
@Entity({ name: 'pool_drift' })
export class PoolDriftEntity implements PoolDriftRow {
  @PrimaryColumn({ type: 'uuid', name: 'pool_id' })
  poolId!: string;

  @Column({ type: 'text' })
  state!: DriftState;

  @Column({ type: 'jsonb' })
  orphans!: DriftOrphan[];

  @Column({ type: 'jsonb' })
  missing!: DriftMissing[];

  @Column({ type: 'timestamptz', name: 'detected_at', nullable: true })
  detectedAt!: Date | null;

  @Column({ type: 'jsonb' })
  removals!: OrphanRemovalRecord[];

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
