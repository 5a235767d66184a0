import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';
import { numericAsNumber } from './numeric.transformer';
import type { ErrorDetails, TemplateCopyRow, TemplateRow, TemplateSourceRow, TemplateStatus } from '../domain/rows';

@Entity({ name: 'templates' })
export class TemplateEntity implements TemplateRow {
  @PrimaryColumn({ type: 'uuid', name: 'template_id' })
  id!: string;

  /** Keyset pagination order; assigned by the database, never written by us. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  seq!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text', name: 'declared_format' })
  declaredFormat!: string;

  @Column({ type: 'text', name: 'detected_format', nullable: true })
  detectedFormat!: string | null;

  @Column({ type: 'text' })
  status!: TemplateStatus;

  @Column({ type: 'jsonb' })
  copies!: TemplateCopyRow[];

  @Column({ type: 'bigint', name: 'virtual_size_bytes', nullable: true, transformer: bigintAsNumber })
  virtualSizeBytes!: number | null;

  @Column({ type: 'bigint', name: 'physical_size_bytes', nullable: true, transformer: bigintAsNumber })
  physicalSizeBytes!: number | null;

  @Column({ type: 'text', nullable: true })
  sha256!: string | null;

  @Column({ type: 'jsonb', name: 'checksum_declared', nullable: true })
  checksumDeclared!: { algorithm: string; value: string } | null;

  @Column({ type: 'numeric', name: 'transfer_percent', nullable: true, transformer: numericAsNumber })
  transferPercent!: number | null;

  @Column({ type: 'text', name: 'os_type', nullable: true })
  osType!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'boolean' })
  public!: boolean;

  @Column({ type: 'jsonb', nullable: true })
  error!: ErrorDetails | null;

  @Column({ type: 'jsonb', nullable: true })
  source!: TemplateSourceRow | null;

  @Column({ type: 'text', nullable: true })
  tenant!: string | null;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
