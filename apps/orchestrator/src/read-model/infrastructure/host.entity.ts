import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';
import type { HostIdentitiesRow, HostRow, HostStatus } from '../domain/rows';

@Entity({ name: 'hosts' })
export class HostEntity implements HostRow {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** Keyset pagination order; assigned by the database, never written by us. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  seq!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', name: 'zone_id' })
  zoneId!: string;

  @Column({ type: 'text', name: 'cluster_id', nullable: true })
  clusterId!: string | null;

  @Column({ type: 'text' })
  hypervisor!: string;

  @Column({ type: 'jsonb' })
  identities!: HostIdentitiesRow;

  @Column({ type: 'text' })
  status!: HostStatus;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
