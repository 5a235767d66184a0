import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AggregateEventEntity } from '../read-model/aggregate-event.entity';
import type { EventHistoryView, EventView } from './event.view';

/** An aggregate's whole history, in stream order. */
@Injectable()
export class AggregateHistoryQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(aggregateId: string): Promise<EventHistoryView> {
    const rows = await this.dataSource
      .getRepository(AggregateEventEntity)
      .find({ where: { aggregateId }, order: { streamVersion: 'ASC' } });
    return { items: rows.map((r) => r.envelope as unknown as EventView) };
  }
}
