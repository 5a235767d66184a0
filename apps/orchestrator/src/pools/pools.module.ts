import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { HostsModule } from '../hosts/hosts.module';
import { PluginsModule } from '../plugins/plugins.module';
import { PoolsController } from './api/pools.controller';
import { AddPoolHandler } from './application/add-pool.handler';
import { ChangePoolHandler } from './application/change-pool.handler';
import { GetPoolDriftQuery } from './application/get-pool-drift.query';
import { GetPoolQuery } from './application/get-pool.query';
import { ListPoolsQuery } from './application/list-pools.query';
import { PoolLookup } from './application/pool-lookup';
import { PoolMaintenanceHandler } from './application/pool-maintenance.handler';

@Module({
  imports: [CommandsModule, HistoryModule, HostsModule, PluginsModule],
  controllers: [PoolsController],
  providers: [AddPoolHandler, ChangePoolHandler, PoolMaintenanceHandler, PoolLookup, ListPoolsQuery, GetPoolQuery, GetPoolDriftQuery],
  // Volumes check the pool of a manage against the read model.
  exports: [PoolLookup],
})
export class PoolsModule {}
