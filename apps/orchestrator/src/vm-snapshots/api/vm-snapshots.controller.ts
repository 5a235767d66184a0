import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { VmSnapshotAccepted } from '../../commands/api/accepted.view';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { mapPage } from '../../http/cursor';
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
  @HttpCode(202)
  @ApiOperation({ summary: "Take a crash-consistent snapshot of a VM's volumes at one point in time (CreateVmSnapshot command)" })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: CreateVmSnapshotRequest })
  @ApiAcceptedResponse({ type: VmSnapshotAccepted })
  @ApiNotFoundResponse({ type: ErrorView, description: 'volume.not_found' })
  @ApiConflictResponse({ type: ErrorView, description: 'volume.already_deleted' })
  create(@Body() body: unknown, @Ctx() context: RequestContext): Promise<VmSnapshotAccepted> {
    return this.commands.create(body, context);
  }

  @Get()
  @ApiOperation({ summary: 'List VM snapshots in the order they were requested; deleted ones only with status=deleted' })
  @ApiOkResponse({ type: VmSnapshotPage })
  async list(@Query(new QueryPipe(ListVmSnapshotsParams)) params: ListVmSnapshotsParams, @Ctx() context: RequestContext): Promise<VmSnapshotPage> {
    const { vmId, status } = params;
    return mapPage(await this.listVmSnapshots.execute({ vmId, status }, pageRequestOf(params), context), toVmSnapshotView);
  }

  @Get(':id')
  @ApiOkResponse({ type: VmSnapshotView })
  @ApiNotFoundResponse({ type: ErrorView, description: 'vm_snapshot.not_found' })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<VmSnapshotView> {
    return toVmSnapshotView(await this.vmSnapshots.visible(id, context));
  }

  @Get(':id/events')
  @ApiOperation({ summary: "The VM snapshot's event history, in stream order" })
  @ApiOkResponse({ type: EventHistoryView })
  @ApiNotFoundResponse({ type: ErrorView, description: 'vm_snapshot.not_found' })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.vmSnapshots.visible(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({ summary: "Delete a VM snapshot, every volume's snapshot of it (DeleteVmSnapshot command)" })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: VmSnapshotAccepted })
  @ApiNotFoundResponse({ type: ErrorView, description: 'vm_snapshot.not_found' })
  @ApiConflictResponse({ type: ErrorView, description: 'vm_snapshot.already_deleted' })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<VmSnapshotAccepted> {
    return this.commands.delete(id, context);
  }

  @Post(':id/revert')
  @HttpCode(202)
  @ApiOperation({ summary: 'Put every member volume back to the VM snapshot (RevertToVmSnapshot command); all must be detached' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: VmSnapshotAccepted })
  @ApiNotFoundResponse({ type: ErrorView, description: 'vm_snapshot.not_found' })
  @ApiConflictResponse({ type: ErrorView, description: 'vm_snapshot.already_deleted' })
  revert(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VmSnapshotAccepted> {
    return this.commands.revert(id, body, context);
  }
}
