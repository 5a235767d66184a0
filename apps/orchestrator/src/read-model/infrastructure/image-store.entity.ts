import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';
import type { ImageStoreRow, ImageStoreStatus } from '../domain/rows';

@Entity({ name: 'image_stores' })
export class ImageStoreEntity implements ImageStoreRow {
  @PrimaryColumn({ type: 'uuid', name: 'image_store_id' })
  id!: string;

  /** Keyset pagination order; assigned by the database, never written by us. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  seq!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', name: 'zone_id' })
  zoneId!: string;

  @Column({ type: 'text' })
  path!: string;

  @Column({ type: 'bigint', name: 'capacity_bytes', transformer: bigintAsNumber })
  capacityBytes!: number;

  @Column({ type: 'bigint', name: 'free_bytes', transformer: bigintAsNumber })
  freeBytes!: number;

  @Column({ type: 'text' })
  status!: ImageStoreStatus;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
