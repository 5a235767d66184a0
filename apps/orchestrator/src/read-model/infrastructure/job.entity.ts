import { Column, Entity, PrimaryColumn } from 'typeorm';
import { numericAsNumber } from './numeric.transformer';
import type { JobError, JobRow, JobStatus } from '../domain/rows';

@Entity({ name: 'jobs' })
export class JobEntity implements JobRow {
  /** The command's message id. Text, not uuid: other publishers' rejected commands may carry any id. */
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text', name: 'command_type' })
  commandType!: string;

  @Column({ type: 'text', name: 'aggregate_id', nullable: true })
  aggregateId!: string | null;

  @Column({ type: 'text', nullable: true })
  tenant!: string | null;

  @Column({ type: 'text' })
  status!: JobStatus;

  @Column({ type: 'jsonb', nullable: true })
  result!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  error!: JobError | null;

  @Column({ type: 'numeric', nullable: true, transformer: numericAsNumber })
  progress!: number | null;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
