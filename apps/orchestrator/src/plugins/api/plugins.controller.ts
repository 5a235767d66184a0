import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ErrorView } from '../../http/error.view';
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
  @ApiOperation({ summary: 'The registered storage backends and the settings a pool of each takes' })
  @ApiOkResponse({ type: PluginList })
  list(): PluginList {
    return { items: this.listPlugins.execute().map(toPluginView) };
  }

  @Get(':name')
  @ApiOperation({ summary: 'One registered backend' })
  @ApiParam({ name: 'name', example: 'storpool' })
  @ApiOkResponse({ type: PluginView })
  @ApiNotFoundResponse({ type: ErrorView, description: 'plugin.not_found' })
  get(@Param('name') name: string): PluginView {
    return toPluginView(this.getPlugin.execute(name));
  }
}
