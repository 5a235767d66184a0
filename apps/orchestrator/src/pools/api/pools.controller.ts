import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiTags } from '@nestjs/swagger';
import { PoolAccepted } from '../../commands/api/accepted.view';
import { mapPage } from '../../http/cursor';
import { CommandEndpoint, ReadEndpoint } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
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
  @CommandEndpoint({
    summary: 'Add a storage pool (AddStoragePool command); operators only',
    accepted: PoolAccepted,
    body: { type: AddPoolRequest },
    operatorOnly: true,
    credentials: 'pool',
    badRequest:
      'request.invalid: the command rules, an unregistered plugin, or config / url the plugin refuses ' +
      '(violations named config.<field> or url.<part>; no secret is quoted)',
  })
  add(@Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.addPool.execute(body, context);
  }

  @Get()
  @ReadEndpoint({ summary: 'List pools in the order they were added; deleted ones only with status=deleted', ok: PoolPage })
  async list(@Query(new QueryPipe(ListPoolsParams)) params: ListPoolsParams): Promise<PoolPage> {
    const { status, zoneId } = params;
    return mapPage(await this.listPools.execute({ status, zoneId }, pageRequestOf(params)), toPoolView);
  }

  @Get(':id')
  @ReadEndpoint({ summary: 'A pool, deleted ones included (status deleted)', ok: PoolView, notFound: true })
  async get(@Param('id', UuidParamPipe) id: string): Promise<PoolView> {
    return toPoolView(await this.getPool.execute(id));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The pool's event history, in stream order", ok: EventHistoryView, notFound: true })
  async events(@Param('id', UuidParamPipe) id: string): Promise<EventHistoryView> {
    await this.getPool.execute(id);
    return toEventHistory(await this.history.execute(id));
  }

  @Patch(':id')
  @CommandEndpoint({
    summary: "Change a pool's settings (UpdateStoragePool command); operators only",
    accepted: PoolAccepted,
    body: { type: UpdatePoolRequest },
    operatorOnly: true,
    credentials: 'pool',
    badRequest: 'request.invalid: an empty body, an unknown field, or a setting that breaks its rule',
    notFound: UNKNOWN_POOL,
  })
  update(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.update(id, body, context);
  }

  @Post(':id/enable')
  @CommandEndpoint({
    summary: 'Place new volumes on the pool again (EnableStoragePool command); operators only',
    accepted: PoolAccepted,
    operatorOnly: true,
    notFound: UNKNOWN_POOL,
  })
  enable(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.enable(id, body, context);
  }

  @Post(':id/disable')
  @CommandEndpoint({
    summary: 'Place no new volume on the pool (DisableStoragePool command); its volumes stay and keep working; operators only',
    accepted: PoolAccepted,
    body: { type: DisablePoolRequest, required: false },
    operatorOnly: true,
    notFound: UNKNOWN_POOL,
  })
  disable(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.disable(id, body, context);
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: 'Delete a pool (DeleteStoragePool command); the job fails with pool.has_volumes while volumes remain; operators only',
    accepted: PoolAccepted,
    operatorOnly: true,
    notFound: UNKNOWN_POOL,
  })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.delete(id, context);
  }

  @Post(':id/refresh-capacity')
  @CommandEndpoint({
    summary: "Measure the pool's capacity on the backend now (RefreshPoolCapacity command); operators only",
    accepted: PoolAccepted,
    operatorOnly: true,
    notFound: UNKNOWN_POOL,
  })
  refreshCapacity(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.refreshCapacity(id, body, context);
  }

  @Get(':id/drift')
  @ReadEndpoint({
    summary: "The pool's drift record: what its last reconciliation found (orphans, missing volumes) and the orphan removals",
    ok: PoolDriftView,
    notFound: true,
  })
  async drift(@Param('id', UuidParamPipe) id: string): Promise<PoolDriftView> {
    return toPoolDriftView(await this.getDrift.execute(id));
  }

  @Post(':id/reconcile')
  @CommandEndpoint({
    summary: "Compare the pool's backend inventory with the log now (ReconcilePool command); operators only",
    accepted: PoolAccepted,
    operatorOnly: true,
    notFound: UNKNOWN_POOL,
  })
  reconcile(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.reconcile(id, body, context);
  }

  @Post(':id/orphans/remove')
  @CommandEndpoint({
    summary: 'Delete an object on the pool that no volume owns (RemoveOrphan command); operators only',
    accepted: PoolAccepted,
    body: { type: RemoveOrphanRequest },
    operatorOnly: true,
    notFound: UNKNOWN_POOL,
  })
  removeOrphan(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.changePool.removeOrphan(id, body, context);
  }

  @Post(':id/maintenance')
  @CommandEndpoint({
    summary:
      'Move every volume off the pool, then hold it in maintenance (EnterPoolMaintenance command); the job fails, ' +
      'naming each volume that cannot move and why, when any cannot; operators only',
    accepted: PoolAccepted,
    body: { type: EnterPoolMaintenanceRequest, required: false },
    operatorOnly: true,
    notFound: `${UNKNOWN_POOL}; host.not_found (dataMoverHostId unknown or deregistered)`,
  })
  enterMaintenance(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.maintenance.enter(id, body, context);
  }

  @Delete(':id/maintenance')
  @CommandEndpoint({
    summary:
      'Leave maintenance (CancelPoolMaintenance command): the pool returns to the status it had; volumes already moved stay moved; operators only',
    accepted: PoolAccepted,
    operatorOnly: true,
    notFound: UNKNOWN_POOL,
  })
  cancelMaintenance(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<PoolAccepted> {
    return this.maintenance.cancel(id, context);
  }
}
