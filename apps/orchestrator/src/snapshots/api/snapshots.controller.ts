import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import { SnapshotAccepted, VolumeAccepted } from '../../commands/api/accepted.view';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { mapPage } from '../../http/cursor';
import { CommandEndpoint, ReadEndpoint } from '../../http/endpoint-decorators';
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
  @ReadEndpoint({ summary: 'List volume snapshots in the order they were requested; deleted ones only with status=deleted', ok: SnapshotPage })
  async list(@Query(new QueryPipe(ListSnapshotsParams)) params: ListSnapshotsParams, @Ctx() context: RequestContext): Promise<SnapshotPage> {
    const { volumeId, status } = params;
    return mapPage(await this.listSnapshots.execute({ volumeId, status }, pageRequestOf(params), context), toSnapshotView);
  }

  @Get(':id')
  @ReadEndpoint({ ok: SnapshotView, notFound: 'snapshot.not_found' })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<SnapshotView> {
    return toSnapshotView(await this.snapshots.visible(id, context));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The snapshot's event history, in stream order", ok: EventHistoryView, notFound: 'snapshot.not_found' })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.snapshots.visible(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: 'Delete a snapshot from primary storage (DeleteSnapshot command)',
    accepted: SnapshotAccepted,
    notFound: 'snapshot.not_found',
    conflict: 'snapshot.already_deleted',
  })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<SnapshotAccepted> {
    return this.snapshotCommands.delete(id, context);
  }

  @Post(':id/revert')
  @CommandEndpoint({
    summary: "Put the snapshot's content back into its volume (RevertToSnapshot command); the volume must be detached",
    accepted: SnapshotAccepted,
    notFound: 'snapshot.not_found',
    conflict: 'snapshot.already_deleted',
  })
  revert(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<SnapshotAccepted> {
    return this.snapshotCommands.revert(id, body, context);
  }

  @Post(':id/volumes')
  @CommandEndpoint({
    summary: "Make a new volume from the snapshot, a clone on the snapshot's pool (CreateVolume command with fromSnapshot)",
    accepted: { type: VolumeAccepted, description: 'volumeId is the id the new volume will have' },
    body: { type: CreateVolumeFromSnapshotRequest },
    notFound: 'snapshot.not_found',
    conflict: 'snapshot.not_ready, snapshot.already_deleted',
  })
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
  @CommandEndpoint({
    summary: 'Take a snapshot of the volume on its primary storage (CreateSnapshot command)',
    accepted: SnapshotAccepted,
    body: { type: CreateSnapshotRequest },
    notFound: 'volume.not_found',
    conflict: 'volume.already_deleted',
  })
  create(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<SnapshotAccepted> {
    return this.snapshotCommands.create(id, body, context);
  }

  @Put(':id/snapshot-backup')
  @CommandEndpoint({
    summary: "Whether the volume's snapshots are also backed up (SetSnapshotBackup command)",
    accepted: VolumeAccepted,
    body: { type: SetSnapshotBackupRequest },
    notFound: 'volume.not_found',
    conflict: 'volume.already_deleted',
  })
  setSnapshotBackup(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<VolumeAccepted> {
    return this.snapshotCommands.setSnapshotBackup(id, body, context);
  }

  @Get(':id/snapshots')
  @ReadEndpoint({
    summary: "The volume's snapshots in the order they were requested; deleted ones only with status=deleted",
    ok: SnapshotPage,
    notFound: 'volume.not_found',
  })
  async list(
    @Param('id', UuidParamPipe) id: string,
    @Query(new QueryPipe(ListVolumeSnapshotsParams)) params: ListVolumeSnapshotsParams,
    @Ctx() context: RequestContext,
  ): Promise<SnapshotPage> {
    await this.volumes.visible(id, context);
    return mapPage(await this.listSnapshots.execute({ volumeId: id, status: params.status }, pageRequestOf(params), context), toSnapshotView);
  }
}
