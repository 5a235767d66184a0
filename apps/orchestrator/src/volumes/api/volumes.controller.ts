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
import { VolumeAccepted } from '../../commands/api/accepted.view';
import { mapPage } from '../../http/cursor';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { CreateVolumeHandler } from '../application/create-volume.handler';
import { DeleteVolumeHandler } from '../application/delete-volume.handler';
import { ListVolumesQuery } from '../application/list-volumes.query';
import { VolumeLookup } from '../application/volume-lookup';
import { CreateVolumeRequest } from './create-volume.request';
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
    private readonly listVolumes: ListVolumesQuery,
    private readonly volumes: VolumeLookup,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Create a DATA volume (CreateVolume command)' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: CreateVolumeRequest })
  @ApiAcceptedResponse({ type: VolumeAccepted })
  create(@Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.createVolume.execute(body, context);
  }

  @Get()
  @ApiOperation({ summary: 'List volumes in creation order; deleted ones only with status=deleted' })
  @ApiOkResponse({ type: VolumePage })
  async list(@Query(new QueryPipe(ListVolumesParams)) params: ListVolumesParams, @Ctx() context: RequestContext): Promise<VolumePage> {
    const { poolId, status, name, tenant } = params;
    const page = await this.listVolumes.execute({ poolId, status, name, tenant }, pageRequestOf(params), context);
    return mapPage(page, toVolumeView);
  }

  @Get(':id')
  @ApiOkResponse({ type: VolumeView })
  @ApiNotFoundResponse({ type: ErrorView })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<VolumeView> {
    return toVolumeView(await this.volumes.visible(id, context));
  }

  @Get(':id/events')
  @ApiOperation({ summary: "The volume's event history, in stream order" })
  @ApiOkResponse({ type: EventHistoryView })
  @ApiNotFoundResponse({ type: ErrorView })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.volumes.visible(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete a volume (DeleteVolume command)' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: VolumeAccepted })
  @ApiNotFoundResponse({ type: ErrorView })
  @ApiConflictResponse({ type: ErrorView, description: 'volume.already_deleted' })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.deleteVolume.execute(id, context);
  }
}
