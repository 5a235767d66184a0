import { Module } from '@nestjs/common';
import { AggregateHistoryQuery } from './application/aggregate-history.query';

@Module({ providers: [AggregateHistoryQuery], exports: [AggregateHistoryQuery] })
export class HistoryModule {}
