import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AggregateEventRow } from '../domain/rows';

/** Every event of every aggregate stream, as received: the history the API shows. */
@Entity({ name: 'aggregate_events' })
export class AggregateEventEntity implements AggregateEventRow {
  @PrimaryColumn({ type: 'uuid', name: 'aggregate_id' })
  aggregateId!: string;

  /** '' for the aggregate's own stream, 'drift' for a pool's drift record. */
  @PrimaryColumn({ type: 'text' })
  stream!: string;

  @PrimaryColumn({ type: 'integer', name: 'stream_version' })
  streamVersion!: number;

  @Column({ type: 'text', name: 'message_id' })
  messageId!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'timestamptz', name: 'occurred_at' })
  occurredAt!: Date;

  @Column({ type: 'jsonb' })
  envelope!: Record<string, unknown>;
}
