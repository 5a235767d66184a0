import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The index of the deploy-ROOT sagas (their state is their event stream): which base or
 * command each waits on. Written only with the saga's own events, in their transaction.
 */
@Entity({ name: 'deployments' })
export class DeploymentEntity {
  @PrimaryColumn({ type: 'uuid', name: 'volume_id' })
  volumeId!: string;

  @Column({ type: 'uuid', name: 'template_id' })
  templateId!: string;

  @Column({ type: 'uuid', name: 'pool_id' })
  poolId!: string;

  @Column({ type: 'uuid', name: 'base_id' })
  baseId!: string;

  @Column({ type: 'text', name: 'job_id' })
  jobId!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'text', name: 'awaiting_command_id', nullable: true })
  awaitingCommandId!: string | null;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
