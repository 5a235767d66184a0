import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { PoolAccepted } from '../../commands/api/accepted.view';
import { mapPage } from '../../http/cursor';
import { ErrorView } from '../../http/error.view';
import { PageParams, pageRequestOf } from '../../http/list-params';
import { OperatorOnlyGuard } from '../../http/operator-only.guard';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AddPoolHandler } from '../application/add-pool.handler';
import { GetPoolQuery } from '../application/get-pool.query';
import { ListPoolsQuery } from '../application/list-pools.query';
import { AddPoolRequest } from './add-pool.request';
import { PoolPage, PoolView, toPoolView } from './pool.view';

export class ListPoolsParams extends PageParams {}

@ApiTags('pools')
@ApiBadRequestResponse({ type: ErrorView })
@Controller('pools')
export class PoolsController {
  constructor(
    private readonly addPool: AddPoolHandler,
    private readonly listPools: ListPoolsQuery,
    private readonly getPool: GetPoolQuery,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Post()
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({ summary: 'Add a storage pool (AddStoragePool command); operators only' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: AddPoolRequest })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiBadRequestResponse({
    type: ErrorView,
    description:
      'request.invalid: the command rules, an unregistered plugin, or config / url the plugin refuses ' +
      '(violations named config.<field> or url.<part>; no secret is quoted)',
  })
  @ApiForbiddenResponse({ type: ErrorView, description: 'auth.operator_only: the request carried X-Tenant' })
  add(@Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.addPool.execute(body, context);
  }

  @Get()
  @ApiOperation({ summary: 'List pools in the order they were added' })
  @ApiOkResponse({ type: PoolPage })
  async list(@Query(new QueryPipe(ListPoolsParams)) params: ListPoolsParams): Promise<PoolPage> {
    return mapPage(await this.listPools.execute(pageRequestOf(params)), toPoolView);
  }

  @Get(':id')
  @ApiOkResponse({ type: PoolView })
  @ApiNotFoundResponse({ type: ErrorView })
  async get(@Param('id', UuidParamPipe) id: string): Promise<PoolView> {
    return toPoolView(await this.getPool.execute(id));
  }

  @Get(':id/events')
  @ApiOperation({ summary: "The pool's event history, in stream order" })
  @ApiOkResponse({ type: EventHistoryView })
  @ApiNotFoundResponse({ type: ErrorView })
  async events(@Param('id', UuidParamPipe) id: string): Promise<EventHistoryView> {
    await this.getPool.execute(id);
    return toEventHistory(await this.history.execute(id));
  }
}
