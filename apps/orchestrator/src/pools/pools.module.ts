import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { AddPoolHandler } from './add-pool.handler';
import { GetPoolQuery } from './get-pool.query';
import { ListPoolsQuery } from './list-pools.query';
import { PoolsController } from './pools.controller';

@Module({
  imports: [CommandsModule, HistoryModule],
  controllers: [PoolsController],
  providers: [AddPoolHandler, ListPoolsQuery, GetPoolQuery],
})
export class PoolsModule {}
