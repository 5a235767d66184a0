import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ErrorDetails, TemplateBaseRow, TemplateBaseStatus } from '../domain/rows';

@Entity({ name: 'template_bases' })
export class TemplateBaseEntity implements TemplateBaseRow {
  @PrimaryColumn({ type: 'uuid', name: 'base_id' })
  id!: string;

  @Column({ type: 'uuid', name: 'template_id' })
  templateId!: string;

  @Column({ type: 'uuid', name: 'pool_id' })
  poolId!: string;

  @Column({ type: 'uuid', name: 'volume_id', nullable: true })
  volumeId!: string | null;

  @Column({ type: 'uuid', name: 'snapshot_id', nullable: true })
  snapshotId!: string | null;

  @Column({ type: 'text' })
  status!: TemplateBaseStatus;

  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ type: 'jsonb', nullable: true })
  error!: ErrorDetails | null;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
