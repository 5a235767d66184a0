import { Injectable } from '@nestjs/common';
import type { Envelope } from '@strata/contracts';
import { DataSource } from 'typeorm';
import { AggregateEventEntity } from '../../read-model/infrastructure/aggregate-event.entity';

/** An aggregate's whole history, in stream order, as the envelopes that were published. */
@Injectable()
export class AggregateHistoryQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(aggregateId: string): Promise<Envelope[]> {
    const rows = await this.dataSource
      .getRepository(AggregateEventEntity)
      .find({ where: { aggregateId }, order: { streamVersion: 'ASC' } });
    return rows.map((r) => r.envelope as unknown as Envelope);
  }
}
