import { Module } from '@nestjs/common';
import { PluginsController } from './api/plugins.controller';
import { GetPluginQuery } from './application/get-plugin.query';
import { ListPluginsQuery } from './application/list-plugins.query';
import { PluginRegistry, registeredPlugins } from './application/plugin-registry';

/** The registered backends: described at /plugins, and looked up by the pool commands. */
@Module({
  controllers: [PluginsController],
  providers: [{ provide: PluginRegistry, useValue: registeredPlugins }, ListPluginsQuery, GetPluginQuery],
  exports: [PluginRegistry],
})
export class PluginsModule {}
