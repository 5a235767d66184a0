import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import { VolumeAccepted } from '../../commands/api/accepted.view';
import { mapPage } from '../../http/cursor';
import { CommandEndpoint, ReadEndpoint } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { ChangeVolumeHandler } from '../application/change-volume.handler';
import { CreateVolumeHandler } from '../application/create-volume.handler';
import { DeleteVolumeHandler } from '../application/delete-volume.handler';
import { ListVolumesQuery } from '../application/list-volumes.query';
import { ManageVolumeHandler } from '../application/manage-volume.handler';
import { MigrateVolumeHandler } from '../application/migrate-volume.handler';
import { VolumeLookup } from '../application/volume-lookup';
import {
  CreateVolumeRequest,
  ManageVolumeRequest,
  MigrateVolumeRequest,
  ResizeVolumeRequest,
  VolumeHostRequest,
  VolumeQosRequest,
} from './create-volume.request';
import { DeleteVolumeParams, deleteVolumeData } from './delete-volume.params';
import { ListVolumesParams } from './list-volumes.params';
import { toVolumeView, VolumePage, VolumeView } from './volume.view';

@ApiTags('volumes')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant sees and changes only its own volumes' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('volumes')
export class VolumesController {
  constructor(
    private readonly createVolume: CreateVolumeHandler,
    private readonly deleteVolume: DeleteVolumeHandler,
    private readonly changeVolume: ChangeVolumeHandler,
    private readonly manageVolume: ManageVolumeHandler,
    private readonly migrateVolume: MigrateVolumeHandler,
    private readonly listVolumes: ListVolumesQuery,
    private readonly volumes: VolumeLookup,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Post()
  @CommandEndpoint({
    summary: 'Create a DATA (or empty ROOT) volume (CreateVolume command): on the pool named by poolId, or on one allocation picks in zoneId',
    accepted: VolumeAccepted,
    body: { type: CreateVolumeRequest },
    badRequest: 'request.invalid: the command rules; poolId or zoneId is required',
  })
  create(@Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.createVolume.execute(body, context);
  }

  @Post('manage')
  @CommandEndpoint({
    summary: 'Adopt an orphan on a pool as a new volume (ManageVolume command); operators only',
    accepted: VolumeAccepted,
    body: { type: ManageVolumeRequest },
    operatorOnly: true,
    notFound: 'pool.not_found',
  })
  manage(@Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.manageVolume.execute(body, context);
  }

  @Get()
  @ReadEndpoint({ summary: 'List volumes in creation order; deleted ones only with status=deleted', ok: VolumePage })
  async list(@Query(new QueryPipe(ListVolumesParams)) params: ListVolumesParams, @Ctx() context: RequestContext): Promise<VolumePage> {
    const { poolId, status, name, tenant } = params;
    const page = await this.listVolumes.execute({ poolId, status, name, tenant }, pageRequestOf(params), context);
    return mapPage(page, toVolumeView);
  }

  @Get(':id')
  @ReadEndpoint({ ok: VolumeView, notFound: true })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<VolumeView> {
    return toVolumeView(await this.volumes.visible(id, context));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The volume's event history, in stream order", ok: EventHistoryView, notFound: true })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.volumes.visible(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @CommandEndpoint({
    summary:
      'Delete a volume (DeleteVolume command). A volume with snapshots is refused (the job fails with volume.has_snapshots, ' +
      'error.details.snapshots listing them) unless deleteSnapshots=true',
    accepted: VolumeAccepted,
    notFound: true,
    conflict: 'volume.already_deleted',
  })
  delete(
    @Param('id', UuidParamPipe) id: string,
    @Query(new QueryPipe(DeleteVolumeParams)) params: DeleteVolumeParams,
    @Ctx() context: RequestContext,
  ): Promise<VolumeAccepted> {
    return this.deleteVolume.execute(id, context, deleteVolumeData(params));
  }

  @Post(':id/resize')
  @CommandEndpoint({
    summary: 'Grow a volume, or shrink it with allowShrink where the backend can (ResizeVolume command)',
    accepted: VolumeAccepted,
    body: { type: ResizeVolumeRequest },
    notFound: 'volume.not_found',
    conflict: 'volume.already_deleted',
  })
  resize(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.changeVolume.resize(id, body, context);
  }

  @Post(':id/attach')
  @CommandEndpoint({
    summary: 'Give a registered host access to the volume (AttachVolume command)',
    accepted: VolumeAccepted,
    body: { type: VolumeHostRequest },
    notFound: 'volume.not_found, or host.not_found (unknown or deregistered)',
    conflict: 'volume.already_deleted',
  })
  attach(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.changeVolume.attach(id, body, context);
  }

  @Post(':id/detach')
  @CommandEndpoint({
    summary: "Revoke a host's access to the volume (DetachVolume command)",
    accepted: VolumeAccepted,
    body: { type: VolumeHostRequest },
    notFound: 'volume.not_found, or host.not_found',
    conflict: 'volume.already_deleted',
  })
  detach(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.changeVolume.detach(id, body, context);
  }

  @Put(':id/qos')
  @CommandEndpoint({
    summary: "Replace the volume's QoS limits (ChangeVolumeQos command): a limit left out or null is removed",
    accepted: VolumeAccepted,
    body: { type: VolumeQosRequest },
    notFound: 'volume.not_found',
    conflict: 'volume.already_deleted',
  })
  changeQos(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.changeVolume.changeQos(id, body, context);
  }

  @Post(':id/migrate')
  @CommandEndpoint({
    summary:
      'Move a volume to another pool (MigrateVolume command): natively where both pools are on one backend cluster that can, ' +
      'else by block copy through a data-mover host; operators only',
    accepted: VolumeAccepted,
    body: { type: MigrateVolumeRequest, required: false },
    operatorOnly: true,
    notFound: 'volume.not_found, pool.not_found (destinationPoolId unknown or deleted), host.not_found (dataMoverHostId unknown or deregistered)',
    conflict: 'volume.already_deleted',
  })
  migrate(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.migrateVolume.execute(id, body, context);
  }
}
