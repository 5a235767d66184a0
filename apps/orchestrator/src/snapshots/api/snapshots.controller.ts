import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
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
import { SnapshotAccepted, VolumeAccepted } from '../../commands/api/accepted.view';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { mapPage } from '../../http/cursor';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { VolumeLookup } from '../../volumes/application/volume-lookup';
import { ListSnapshotsQuery } from '../application/list-snapshots.query';
import { SnapshotCommandsHandler } from '../application/snapshot-commands.handler';
import { SnapshotLookup } from '../application/snapshot-lookup';
import { CreateSnapshotRequest, CreateVolumeFromSnapshotRequest, SetSnapshotBackupRequest } from './create-snapshot.request';
import { ListSnapshotsParams, ListVolumeSnapshotsParams } from './list-snapshots.params';
import { SnapshotPage, SnapshotView, toSnapshotView } from './snapshot.view';

@ApiTags('snapshots')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant sees and changes only the snapshots of its own volumes' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('snapshots')
export class SnapshotsController {
  constructor(
    private readonly snapshotCommands: SnapshotCommandsHandler,
    private readonly listSnapshots: ListSnapshotsQuery,
    private readonly snapshots: SnapshotLookup,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List volume snapshots in the order they were requested; deleted ones only with status=deleted' })
  @ApiOkResponse({ type: SnapshotPage })
  async list(@Query(new QueryPipe(ListSnapshotsParams)) params: ListSnapshotsParams, @Ctx() context: RequestContext): Promise<SnapshotPage> {
    const { volumeId, status } = params;
    return mapPage(await this.listSnapshots.execute({ volumeId, status }, pageRequestOf(params), context), toSnapshotView);
  }

  @Get(':id')
  @ApiOkResponse({ type: SnapshotView })
  @ApiNotFoundResponse({ type: ErrorView, description: 'snapshot.not_found' })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<SnapshotView> {
    return toSnapshotView(await this.snapshots.visible(id, context));
  }

  @Get(':id/events')
  @ApiOperation({ summary: "The snapshot's event history, in stream order" })
  @ApiOkResponse({ type: EventHistoryView })
  @ApiNotFoundResponse({ type: ErrorView, description: 'snapshot.not_found' })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.snapshots.visible(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete a snapshot from primary storage (DeleteSnapshot command)' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: SnapshotAccepted })
  @ApiNotFoundResponse({ type: ErrorView, description: 'snapshot.not_found' })
  @ApiConflictResponse({ type: ErrorView, description: 'snapshot.already_deleted' })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<SnapshotAccepted> {
    return this.snapshotCommands.delete(id, context);
  }

  @Post(':id/revert')
  @HttpCode(202)
  @ApiOperation({ summary: "Put the snapshot's content back into its volume (RevertToSnapshot command); the volume must be detached" })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiAcceptedResponse({ type: SnapshotAccepted })
  @ApiNotFoundResponse({ type: ErrorView, description: 'snapshot.not_found' })
  @ApiConflictResponse({ type: ErrorView, description: 'snapshot.already_deleted' })
  revert(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<SnapshotAccepted> {
    return this.snapshotCommands.revert(id, body, context);
  }

  @Post(':id/volumes')
  @HttpCode(202)
  @ApiOperation({ summary: "Make a new volume from the snapshot, a clone on the snapshot's pool (CreateVolume command with fromSnapshot)" })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: CreateVolumeFromSnapshotRequest })
  @ApiAcceptedResponse({ type: VolumeAccepted, description: 'volumeId is the id the new volume will have' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'snapshot.not_found' })
  @ApiConflictResponse({ type: ErrorView, description: 'snapshot.not_ready, snapshot.already_deleted' })
  createVolume(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.snapshotCommands.createVolume(id, body, context);
  }
}

/** A volume's snapshots: taking one, and listing them. */
@ApiTags('snapshots')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant sees and changes only its own volumes' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('volumes')
export class VolumeSnapshotsController {
  constructor(
    private readonly snapshotCommands: SnapshotCommandsHandler,
    private readonly listSnapshots: ListSnapshotsQuery,
    private readonly volumes: VolumeLookup,
  ) {}

  @Post(':id/snapshots')
  @HttpCode(202)
  @ApiOperation({ summary: 'Take a snapshot of the volume on its primary storage (CreateSnapshot command)' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: CreateSnapshotRequest })
  @ApiAcceptedResponse({ type: SnapshotAccepted })
  @ApiNotFoundResponse({ type: ErrorView, description: 'volume.not_found' })
  @ApiConflictResponse({ type: ErrorView, description: 'volume.already_deleted' })
  create(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<SnapshotAccepted> {
    return this.snapshotCommands.create(id, body, context);
  }

  @Put(':id/snapshot-backup')
  @HttpCode(202)
  @ApiOperation({ summary: "Whether the volume's snapshots are also backed up (SetSnapshotBackup command)" })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: SetSnapshotBackupRequest })
  @ApiAcceptedResponse({ type: VolumeAccepted })
  @ApiNotFoundResponse({ type: ErrorView, description: 'volume.not_found' })
  @ApiConflictResponse({ type: ErrorView, description: 'volume.already_deleted' })
  setSnapshotBackup(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.snapshotCommands.setSnapshotBackup(id, body, context);
  }

  @Get(':id/snapshots')
  @ApiOperation({ summary: "The volume's snapshots in the order they were requested; deleted ones only with status=deleted" })
  @ApiOkResponse({ type: SnapshotPage })
  @ApiNotFoundResponse({ type: ErrorView, description: 'volume.not_found' })
  async list(
    @Param('id', UuidParamPipe) id: string,
    @Query(new QueryPipe(ListVolumeSnapshotsParams)) params: ListVolumeSnapshotsParams,
    @Ctx() context: RequestContext,
  ): Promise<SnapshotPage> {
    await this.volumes.visible(id, context);
    return mapPage(await this.listSnapshots.execute({ volumeId: id, status: params.status }, pageRequestOf(params), context), toSnapshotView);
  }
}
