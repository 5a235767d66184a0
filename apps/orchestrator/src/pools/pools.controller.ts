import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
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
import { PoolAccepted } from '../commands/accepted.view';
import { ErrorView } from '../http/error.view';
import { QueryPipe } from '../http/query-pipe';
import { Ctx, type RequestContext } from '../http/request-context';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { AggregateHistoryQuery } from '../history/aggregate-history.query';
import { EventHistoryView } from '../history/event.view';
import { AddPoolHandler } from './add-pool.handler';
import { AddPoolRequest } from './add-pool.request';
import { GetPoolQuery } from './get-pool.query';
import { ListPoolsParams, ListPoolsQuery } from './list-pools.query';
import { PoolPage, PoolView, toPoolView } from './pool.view';

@ApiTags('pools')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'Set by tenants; operators omit it' })
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
  @ApiOperation({ summary: 'Add a storage pool (AddStoragePool command)' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: AddPoolRequest })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiForbiddenResponse({ type: ErrorView, description: 'X-Tenant was set: pools are operator resources' })
  add(@Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.addPool.execute(body, context);
  }

  @Get()
  @ApiOperation({ summary: 'List pools, oldest first' })
  @ApiOkResponse({ type: PoolPage })
  list(@Query(new QueryPipe(ListPoolsParams)) params: ListPoolsParams): Promise<PoolPage> {
    return this.listPools.execute(params);
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
    return this.history.execute(id);
  }
}
