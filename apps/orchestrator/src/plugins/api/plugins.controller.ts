import { Controller, Get, Param } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ReadEndpoint } from '../../http/endpoint-decorators';
import { GetPluginQuery } from '../application/get-plugin.query';
import { ListPluginsQuery } from '../application/list-plugins.query';
import { PluginList, PluginView, toPluginView } from './plugin.view';

@ApiTags('plugins')
@Controller('plugins')
export class PluginsController {
  constructor(
    private readonly listPlugins: ListPluginsQuery,
    private readonly getPlugin: GetPluginQuery,
  ) {}

  @Get()
  @ReadEndpoint({ summary: 'The registered storage backends and the settings a pool of each takes', ok: PluginList })
  list(): PluginList {
    return { items: this.listPlugins.execute().map(toPluginView) };
  }

  @Get(':name')
  @ReadEndpoint({ summary: 'One registered backend', ok: PluginView, notFound: 'plugin.not_found' })
  @ApiParam({ name: 'name', example: 'storpool' })
  get(@Param('name') name: string): PluginView {
    return toPluginView(this.getPlugin.execute(name));
  }
}
