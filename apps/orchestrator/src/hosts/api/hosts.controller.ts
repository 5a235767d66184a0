import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiTags } from '@nestjs/swagger';
import { HostAccepted } from '../../commands/api/accepted.view';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { mapPage } from '../../http/cursor';
import { CommandEndpoint, ReadEndpoint } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { DeregisterHostHandler } from '../application/deregister-host.handler';
import { HostLookup } from '../application/host-lookup';
import { ListHostsQuery } from '../application/list-hosts.query';
import { RegisterHostHandler } from '../application/register-host.handler';
import { HostPage, HostView, toHostView } from './host.view';
import { ListHostsParams } from './list-hosts.params';
import { RegisterHostRequest } from './register-host.request';

@ApiTags('hosts')
@ApiBadRequestResponse({ type: ErrorView })
@Controller('hosts')
export class HostsController {
  constructor(
    private readonly registerHost: RegisterHostHandler,
    private readonly deregisterHost: DeregisterHostHandler,
    private readonly listHosts: ListHostsQuery,
    private readonly hosts: HostLookup,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Post()
  @CommandEndpoint({
    summary: 'Register a hypervisor host and its identity on each backend (RegisterHost command); operators only',
    accepted: HostAccepted,
    body: { type: RegisterHostRequest },
    operatorOnly: true,
  })
  register(@Body() body: unknown, @Ctx() context: RequestContext): Promise<HostAccepted> {
    return this.registerHost.execute(body, context);
  }

  @Get()
  @ReadEndpoint({ summary: 'List hosts in the order they were registered; deregistered ones only with status=deregistered', ok: HostPage })
  async list(@Query(new QueryPipe(ListHostsParams)) params: ListHostsParams): Promise<HostPage> {
    const { status, zoneId, clusterId } = params;
    return mapPage(await this.listHosts.execute({ status, zoneId, clusterId }, pageRequestOf(params)), toHostView);
  }

  @Get(':id')
  @ReadEndpoint({ summary: 'A host, deregistered ones included (status deregistered)', ok: HostView, notFound: true })
  async get(@Param('id', UuidParamPipe) id: string): Promise<HostView> {
    return toHostView(await this.hosts.find(id));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The host's event history, in stream order", ok: EventHistoryView, notFound: true })
  async events(@Param('id', UuidParamPipe) id: string): Promise<EventHistoryView> {
    await this.hosts.find(id);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: 'Deregister a host (DeregisterHost command); the storage service refuses while volumes are attached to it; operators only',
    accepted: HostAccepted,
    operatorOnly: true,
    notFound: 'host.not_found: no such host, or it is deregistered (as the read model knows it)',
  })
  deregister(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<HostAccepted> {
    return this.deregisterHost.execute(id, context);
  }
}
