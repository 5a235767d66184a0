import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { HostsController } from './api/hosts.controller';
import { DeregisterHostHandler } from './application/deregister-host.handler';
import { HostLookup } from './application/host-lookup';
import { ListHostsQuery } from './application/list-hosts.query';
import { RegisterHostHandler } from './application/register-host.handler';

@Module({
  imports: [CommandsModule, HistoryModule],
  controllers: [HostsController],
  providers: [RegisterHostHandler, DeregisterHostHandler, ListHostsQuery, HostLookup],
  // Volumes check the host of an attach or a detach against the read model.
  exports: [HostLookup],
})
export class HostsModule {}
