import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import { VmSnapshotAccepted } from '../../commands/api/accepted.view';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { mapPage } from '../../http/cursor';
import { CommandEndpoint, ReadEndpoint } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { ListVmSnapshotsQuery } from '../application/list-vm-snapshots.query';
import { VmSnapshotCommandsHandler } from '../application/vm-snapshot-commands.handler';
import { VmSnapshotLookup } from '../application/vm-snapshot-lookup';
import { CreateVmSnapshotRequest } from './create-vm-snapshot.request';
import { ListVmSnapshotsParams } from './list-vm-snapshots.params';
import { VmSnapshotPage, VmSnapshotView, toVmSnapshotView } from './vm-snapshot.view';

@ApiTags('vm-snapshots')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant sees and changes only the VM snapshots of its own volumes' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('vm-snapshots')
export class VmSnapshotsController {
  constructor(
    private readonly commands: VmSnapshotCommandsHandler,
    private readonly listVmSnapshots: ListVmSnapshotsQuery,
    private readonly vmSnapshots: VmSnapshotLookup,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Post()
  @CommandEndpoint({
    summary: "Take a crash-consistent snapshot of a VM's volumes at one point in time (CreateVmSnapshot command)",
    accepted: VmSnapshotAccepted,
    body: { type: CreateVmSnapshotRequest },
    notFound: 'volume.not_found',
    conflict: 'volume.already_deleted',
  })
  create(@Body() body: unknown, @Ctx() context: RequestContext): Promise<VmSnapshotAccepted> {
    return this.commands.create(body, context);
  }

  @Get()
  @ReadEndpoint({ summary: 'List VM snapshots in the order they were requested; deleted ones only with status=deleted', ok: VmSnapshotPage })
  async list(@Query(new QueryPipe(ListVmSnapshotsParams)) params: ListVmSnapshotsParams, @Ctx() context: RequestContext): Promise<VmSnapshotPage> {
    const { vmId, status } = params;
    return mapPage(await this.listVmSnapshots.execute({ vmId, status }, pageRequestOf(params), context), toVmSnapshotView);
  }

  @Get(':id')
  @ReadEndpoint({ ok: VmSnapshotView, notFound: 'vm_snapshot.not_found' })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<VmSnapshotView> {
    return toVmSnapshotView(await this.vmSnapshots.visible(id, context));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The VM snapshot's event history, in stream order", ok: EventHistoryView, notFound: 'vm_snapshot.not_found' })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.vmSnapshots.visible(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: "Delete a VM snapshot, every volume's snapshot of it (DeleteVmSnapshot command)",
    accepted: VmSnapshotAccepted,
    notFound: 'vm_snapshot.not_found',
    conflict: 'vm_snapshot.already_deleted',
  })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<VmSnapshotAccepted> {
    return this.commands.delete(id, context);
  }

  @Post(':id/revert')
  @CommandEndpoint({
    summary: 'Put every member volume back to the VM snapshot (RevertToVmSnapshot command); all must be detached',
    accepted: VmSnapshotAccepted,
    notFound: 'vm_snapshot.not_found',
    conflict: 'vm_snapshot.already_deleted',
  })
  revert(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VmSnapshotAccepted> {
    return this.commands.revert(id, body, context);
  }
}
