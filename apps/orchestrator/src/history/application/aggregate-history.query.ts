import { Injectable } from '@nestjs/common';
import type { Envelope } from '@strata/contracts';
import { DataSource } from 'typeorm';
import { AggregateEventEntity } from '../../read-model/infrastructure/aggregate-event.entity';

/**
 * An aggregate's whole history, in stream order, as the envelopes that were published: its
 * own stream, then any stream kept under its id (a pool's drift record).
 */
@Injectable()
export class AggregateHistoryQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(aggregateId: string): Promise<Envelope[]> {
    const rows = await this.dataSource
      .getRepository(AggregateEventEntity)
      .find({ where: { aggregateId }, order: { stream: 'ASC', streamVersion: 'ASC' } });
    return rows.map((r) => r.envelope as unknown as Envelope);
  }
}
