import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
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
import { pageRequestOf } from '../../http/list-params';
import { OperatorOnlyGuard } from '../../http/operator-only.guard';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AddPoolHandler } from '../application/add-pool.handler';
import { ChangePoolHandler } from '../application/change-pool.handler';
import { GetPoolDriftQuery } from '../application/get-pool-drift.query';
import { GetPoolQuery } from '../application/get-pool.query';
import { ListPoolsQuery } from '../application/list-pools.query';
import { PoolMaintenanceHandler } from '../application/pool-maintenance.handler';
import { AddPoolRequest } from './add-pool.request';
import { ListPoolsParams } from './list-pools.params';
import { PoolDriftView, toPoolDriftView } from './pool-drift.view';
import { DisablePoolRequest, EnterPoolMaintenanceRequest, RemoveOrphanRequest, UpdatePoolRequest } from './pool-settings.request';
import { PoolPage, PoolView, toPoolView } from './pool.view';

const UNKNOWN_POOL = 'pool.not_found: no such pool, or it is deleted (as the read model knows it)';
const TENANT_REFUSED = 'auth.operator_only: the request carried X-Tenant';

@ApiTags('pools')
@ApiBadRequestResponse({ type: ErrorView })
@Controller('pools')
export class PoolsController {
  constructor(
    private readonly addPool: AddPoolHandler,
    private readonly changePool: ChangePoolHandler,
    private readonly maintenance: PoolMaintenanceHandler,
    private readonly listPools: ListPoolsQuery,
    private readonly getPool: GetPoolQuery,
    private readonly getDrift: GetPoolDriftQuery,
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
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  add(@Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.addPool.execute(body, context);
  }

  @Get()
  @ApiOperation({ summary: 'List pools in the order they were added; deleted ones only with status=deleted' })
  @ApiOkResponse({ type: PoolPage })
  async list(@Query(new QueryPipe(ListPoolsParams)) params: ListPoolsParams): Promise<PoolPage> {
    const { status, zoneId } = params;
    return mapPage(await this.listPools.execute({ status, zoneId }, pageRequestOf(params)), toPoolView);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A pool, deleted ones included (status deleted)' })
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

  @Patch(':id')
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({ summary: "Change a pool's settings (UpdateStoragePool command); operators only" })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: UpdatePoolRequest })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiBadRequestResponse({ type: ErrorView, description: 'request.invalid: an empty body, an unknown field, or a setting that breaks its rule' })
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  @ApiNotFoundResponse({ type: ErrorView, description: UNKNOWN_POOL })
  update(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.update(id, body, context);
  }

  @Post(':id/enable')
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({ summary: 'Place new volumes on the pool again (EnableStoragePool command); operators only' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  @ApiNotFoundResponse({ type: ErrorView, description: UNKNOWN_POOL })
  enable(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.enable(id, body, context);
  }

  @Post(':id/disable')
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({
    summary: 'Place no new volume on the pool (DisableStoragePool command); its volumes stay and keep working; operators only',
  })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: DisablePoolRequest, required: false })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  @ApiNotFoundResponse({ type: ErrorView, description: UNKNOWN_POOL })
  disable(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.disable(id, body, context);
  }

  @Delete(':id')
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({
    summary: 'Delete a pool (DeleteStoragePool command); the job fails with pool.has_volumes while volumes remain; operators only',
  })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  @ApiNotFoundResponse({ type: ErrorView, description: UNKNOWN_POOL })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.delete(id, context);
  }

  @Post(':id/refresh-capacity')
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({ summary: "Measure the pool's capacity on the backend now (RefreshPoolCapacity command); operators only" })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  @ApiNotFoundResponse({ type: ErrorView, description: UNKNOWN_POOL })
  refreshCapacity(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.refreshCapacity(id, body, context);
  }

  @Get(':id/drift')
  @ApiOperation({ summary: "The pool's drift record: what its last reconciliation found (orphans, missing volumes) and the orphan removals" })
  @ApiOkResponse({ type: PoolDriftView })
  @ApiNotFoundResponse({ type: ErrorView })
  async drift(@Param('id', UuidParamPipe) id: string): Promise<PoolDriftView> {
    return toPoolDriftView(await this.getDrift.execute(id));
  }

  @Post(':id/reconcile')
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({ summary: "Compare the pool's backend inventory with the log now (ReconcilePool command); operators only" })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  @ApiNotFoundResponse({ type: ErrorView, description: UNKNOWN_POOL })
  reconcile(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.reconcile(id, body, context);
  }

  @Post(':id/orphans/remove')
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({ summary: 'Delete an object on the pool that no volume owns (RemoveOrphan command); operators only' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: RemoveOrphanRequest })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  @ApiNotFoundResponse({ type: ErrorView, description: UNKNOWN_POOL })
  removeOrphan(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.removeOrphan(id, body, context);
  }

  @Post(':id/maintenance')
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({
    summary:
      'Move every volume off the pool, then hold it in maintenance (EnterPoolMaintenance command); the job fails, ' +
      'naming each volume that cannot move and why, when any cannot; operators only',
  })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: EnterPoolMaintenanceRequest, required: false })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  @ApiNotFoundResponse({ type: ErrorView, description: `${UNKNOWN_POOL}; host.not_found (dataMoverHostId unknown or deregistered)` })
  enterMaintenance(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.maintenance.enter(id, body, context);
  }

  @Delete(':id/maintenance')
  @HttpCode(202)
  @UseGuards(OperatorOnlyGuard)
  @ApiOperation({
    summary:
      'Leave maintenance (CancelPoolMaintenance command): the pool returns to the status it had; volumes already moved stay moved; operators only',
  })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: PoolAccepted })
  @ApiForbiddenResponse({ type: ErrorView, description: TENANT_REFUSED })
  @ApiNotFoundResponse({ type: ErrorView, description: UNKNOWN_POOL })
  cancelMaintenance(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.maintenance.cancel(id, context);
  }
}
