import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { mapPage } from '../../http/cursor';
import { CommandEndpoint, type CommandEndpointOptions, ReadEndpoint } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { BackupCommandsHandler } from '../application/backup-commands.handler';
import { BackupLookups } from '../application/backup-lookups';
import { BackupQueries } from '../application/backup-queries';
import {
  AddBackupTargetRequest,
  BackupAcceptedView,
  BackupDetailView,
  BackupPage,
  BackupSchedulePage,
  BackupScheduleView,
  BackupTargetPage,
  BackupTargetView,
  CreateBackupRequest,
  CreateBackupScheduleRequest,
  ImportBackupRequest,
  ListBackupSchedulesParams,
  ListBackupsParams,
  ListBackupTargetsParams,
  RestoreAcceptedView,
  RestoreBackupRequest,
  RestoreView,
  ScheduleAcceptedView,
  TargetAcceptedView,
  toBackupScheduleView,
  toBackupTargetView,
  toBackupView,
  toRestoreView,
} from './backup.views';

/** The operator's commands on a known target that is not removed (the handler's activeTarget check), documented alike. */
const ON_ACTIVE_TARGET: Pick<CommandEndpointOptions, 'operatorOnly' | 'notFound' | 'conflict'> = {
  operatorOnly: true,
  notFound: 'backup_target.not_found',
  conflict: 'backup_target.already_removed',
};

@ApiTags('backup-targets')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'Tenants may read backup targets (to back up to one); only operators add, remove, collect or import' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('backup-targets')
export class BackupTargetsController {
  constructor(
    private readonly commands: BackupCommandsHandler,
    private readonly queries: BackupQueries,
    private readonly lookups: BackupLookups,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Post()
  @CommandEndpoint({
    summary: 'Add a place backups are written to: an S3 bucket or a directory (AddBackupTarget command); operators only. The S3 secret is sealed by the backup service and never shown back',
    accepted: TargetAcceptedView,
    body: { type: AddBackupTargetRequest },
    operatorOnly: true,
    credentials: 'backup-target',
    badRequest: 'request.invalid: the AddBackupTarget rules (name, kind, the settings of that kind only); no secret is quoted',
  })
  add(@Body() body: unknown, @Ctx() context: RequestContext): Promise<TargetAcceptedView> {
    return this.commands.addTarget(body, context);
  }

  @Get()
  @ReadEndpoint({ summary: 'List backup targets in the order they were added; removed ones only with status=removed', ok: BackupTargetPage })
  async list(@Query(new QueryPipe(ListBackupTargetsParams)) params: ListBackupTargetsParams): Promise<BackupTargetPage> {
    const { status, kind } = params;
    return mapPage(await this.queries.targets({ status, kind }, pageRequestOf(params)), toBackupTargetView);
  }

  @Get(':id')
  @ReadEndpoint({ summary: 'A backup target with its redacted settings and its last garbage collection', ok: BackupTargetView, notFound: 'backup_target.not_found' })
  async get(@Param('id', UuidParamPipe) id: string): Promise<BackupTargetView> {
    return toBackupTargetView(await this.lookups.target(id));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The target's event history, in stream order", ok: EventHistoryView, notFound: 'backup_target.not_found' })
  async events(@Param('id', UuidParamPipe) id: string): Promise<EventHistoryView> {
    await this.lookups.target(id);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: 'Remove a backup target (RemoveBackupTarget command); refused by the backup service while backups are kept on it; operators only',
    accepted: TargetAcceptedView,
    ...ON_ACTIVE_TARGET,
  })
  remove(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<TargetAcceptedView> {
    return this.commands.removeTarget(id, context);
  }

  @Post(':id/garbage-collection')
  @CommandEndpoint({
    summary: 'Delete the chunks no manifest on the target references (CollectBackupGarbage command); operators only',
    accepted: TargetAcceptedView,
    ...ON_ACTIVE_TARGET,
  })
  collectGarbage(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<TargetAcceptedView> {
    return this.commands.collectGarbage(id, context);
  }

  @Post(':id/imports')
  @CommandEndpoint({
    summary: "Make a backup found on the target (another installation's) restorable here: its manifest read and every chunk checked (ImportBackup command); operators only",
    accepted: BackupAcceptedView,
    body: { type: ImportBackupRequest },
    badRequest: 'request.invalid: backupId a UUID, no other field',
    ...ON_ACTIVE_TARGET,
  })
  importBackup(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<BackupAcceptedView> {
    return this.commands.importBackup(id, body, context);
  }
}

@ApiTags('backups')
@ApiHeader({ name: 'X-Tenant', required: false, description: "A tenant sees and acts on its own volumes' backups only" })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('backups')
export class BackupsController {
  constructor(
    private readonly commands: BackupCommandsHandler,
    private readonly queries: BackupQueries,
    private readonly lookups: BackupLookups,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Get()
  @ReadEndpoint({ summary: 'List backups in the order they were requested; deleted ones only with status=deleted', ok: BackupPage })
  async list(@Query(new QueryPipe(ListBackupsParams)) params: ListBackupsParams, @Ctx() context: RequestContext): Promise<BackupPage> {
    const { volumeId, targetId, status } = params;
    return mapPage(await this.queries.backups({ volumeId, targetId, status }, pageRequestOf(params), context), toBackupView);
  }

  @Get(':id')
  @ReadEndpoint({ summary: 'A backup, with the chain it restores through (parent ids up to the full backup)', ok: BackupDetailView, notFound: 'backup.not_found' })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<BackupDetailView> {
    const backup = await this.lookups.backup(id, context);
    return { ...toBackupView(backup), chain: await this.lookups.chainOf(backup) };
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The backup's event history (its steps included), in stream order", ok: EventHistoryView, notFound: 'backup.not_found' })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.lookups.backup(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Post(':id/verify')
  @CommandEndpoint({
    summary: "Read the backup's manifest and every chunk back, checking each hash (VerifyBackup command)",
    accepted: BackupAcceptedView,
    notFound: 'backup.not_found',
    conflict: 'backup.not_completed',
  })
  verify(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<BackupAcceptedView> {
    return this.commands.verify(id, context);
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: "Delete a backup's manifest (DeleteBackup command); its chunks go at the target's next garbage collection, later backups of the chain stay restorable",
    accepted: BackupAcceptedView,
    notFound: 'backup.not_found',
    conflict: 'backup.already_deleted',
  })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<BackupAcceptedView> {
    return this.commands.deleteBackup(id, context);
  }

  @Post(':id/restore')
  @CommandEndpoint({
    summary: 'Restore the backup to a new volume ({poolId, name}) or over its own detached volume ({overOriginal: true}) (RestoreBackup command)',
    accepted: RestoreAcceptedView,
    body: { type: RestoreBackupRequest },
    badRequest: 'request.invalid: the RestoreBackup rules (poolId and name unless overOriginal)',
    notFound: 'backup.not_found, pool.not_found',
    conflict: 'backup.not_completed',
  })
  restore(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<RestoreAcceptedView> {
    return this.commands.restore(id, body, context);
  }
}

@ApiTags('backups')
@ApiHeader({ name: 'X-Tenant', required: false, description: "A tenant sees its own restores only" })
@Controller('restores')
export class RestoresController {
  constructor(
    private readonly lookups: BackupLookups,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Get(':id')
  @ReadEndpoint({ summary: 'A restore: the volume it writes, its progress and outcome', ok: RestoreView, notFound: 'restore.not_found' })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<RestoreView> {
    return toRestoreView(await this.lookups.restore(id, context));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The restore's event history (its steps included), in stream order", ok: EventHistoryView, notFound: 'restore.not_found' })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.lookups.restore(id, context);
    return toEventHistory(await this.history.execute(id));
  }
}

@ApiTags('backup-schedules')
@ApiHeader({ name: 'X-Tenant', required: false, description: "A tenant sees and changes only its own volumes' schedules" })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('backup-schedules')
export class BackupSchedulesController {
  constructor(
    private readonly commands: BackupCommandsHandler,
    private readonly queries: BackupQueries,
    private readonly lookups: BackupLookups,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Get()
  @ReadEndpoint({ summary: 'List backup schedules in the order they were created; deleted ones only with status=deleted', ok: BackupSchedulePage })
  async list(@Query(new QueryPipe(ListBackupSchedulesParams)) params: ListBackupSchedulesParams, @Ctx() context: RequestContext): Promise<BackupSchedulePage> {
    const { volumeId, targetId, status } = params;
    return mapPage(await this.queries.schedules({ volumeId, targetId, status }, pageRequestOf(params), context), toBackupScheduleView);
  }

  @Get(':id')
  @ReadEndpoint({ ok: BackupScheduleView, notFound: 'backup_schedule.not_found' })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<BackupScheduleView> {
    return toBackupScheduleView(await this.lookups.schedule(id, context));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The schedule's event history (created, runs recorded, deleted), in stream order", ok: EventHistoryView, notFound: 'backup_schedule.not_found' })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.lookups.schedule(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: 'Stop a backup schedule (DeleteBackupSchedule command); the backups it made stay',
    accepted: ScheduleAcceptedView,
    notFound: 'backup_schedule.not_found',
    conflict: 'backup_schedule.already_deleted',
  })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<ScheduleAcceptedView> {
    return this.commands.deleteSchedule(id, context);
  }
}

/** A volume's backups and backup schedules: creating them. */
@ApiTags('backups')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant backs up only its own volumes; the backup is the volume owner\'s' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('volumes')
export class VolumeBackupsController {
  constructor(private readonly commands: BackupCommandsHandler) {}

  @Post(':id/backups')
  @CommandEndpoint({
    summary: 'Back the volume up to a target: incremental after an earlier completed backup on it, unless full (CreateBackup command)',
    accepted: BackupAcceptedView,
    body: { type: CreateBackupRequest },
    badRequest: 'request.invalid: the CreateBackup rules (targetId, snapshotId a snapshot of this volume, full a boolean)',
    notFound: 'volume.not_found, backup_target.not_found',
    conflict: 'volume.already_deleted, backup_target.already_removed, snapshot.not_ready',
  })
  backUp(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<BackupAcceptedView> {
    return this.commands.createBackup(id, body, context);
  }

  @Post(':id/backup-schedules')
  @CommandEndpoint({
    summary: 'Back the volume up on a schedule, keeping the newest `retention` backups (CreateBackupSchedule command)',
    accepted: ScheduleAcceptedView,
    body: { type: CreateBackupScheduleRequest },
    badRequest: 'request.invalid: the CreateBackupSchedule rules (retention 1-1000, schedule an object)',
    notFound: 'volume.not_found, backup_target.not_found',
    conflict: 'volume.already_deleted, backup_target.already_removed',
  })
  schedule(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<ScheduleAcceptedView> {
    return this.commands.createSchedule(id, body, context);
  }
}
