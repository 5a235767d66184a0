import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import { SnapshotPolicyAccepted } from '../../commands/api/accepted.view';
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
import { ListSnapshotPoliciesQuery } from '../application/list-snapshot-policies.query';
import { SnapshotPolicyCommandsHandler } from '../application/snapshot-policy-commands.handler';
import { SnapshotPolicyLookup } from '../application/snapshot-policy-lookup';
import { CreateSnapshotPolicyRequest } from './create-snapshot-policy.request';
import { ListSnapshotPoliciesParams, ListVolumeSnapshotPoliciesParams } from './list-snapshot-policies.params';
import { SnapshotPolicyPage, SnapshotPolicyView, toSnapshotPolicyView } from './snapshot-policy.view';

@ApiTags('snapshot-policies')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant sees and changes only the policies of its own volumes' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('snapshot-policies')
export class SnapshotPoliciesController {
  constructor(
    private readonly policyCommands: SnapshotPolicyCommandsHandler,
    private readonly listPolicies: ListSnapshotPoliciesQuery,
    private readonly policies: SnapshotPolicyLookup,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Get()
  @ReadEndpoint({ summary: 'List snapshot policies in the order they were created; deleted ones only with status=deleted', ok: SnapshotPolicyPage })
  async list(
    @Query(new QueryPipe(ListSnapshotPoliciesParams)) params: ListSnapshotPoliciesParams,
    @Ctx() context: RequestContext,
  ): Promise<SnapshotPolicyPage> {
    const { volumeId, status } = params;
    return mapPage(await this.listPolicies.execute({ volumeId, status }, pageRequestOf(params), context), toSnapshotPolicyView);
  }

  @Get(':id')
  @ReadEndpoint({ ok: SnapshotPolicyView, notFound: 'snapshot_policy.not_found' })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<SnapshotPolicyView> {
    return toSnapshotPolicyView(await this.policies.visible(id, context));
  }

  @Get(':id/events')
  @ReadEndpoint({
    summary: "The policy's event history (created, runs taken, deleted), in stream order",
    ok: EventHistoryView,
    notFound: 'snapshot_policy.not_found',
  })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.policies.visible(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: 'Stop a snapshot policy (DeleteSnapshotPolicy command); the snapshots it took stay',
    accepted: SnapshotPolicyAccepted,
    notFound: 'snapshot_policy.not_found',
    conflict: 'snapshot_policy.already_deleted',
  })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<SnapshotPolicyAccepted> {
    return this.policyCommands.delete(id, context);
  }
}

/** A volume's snapshot policies: creating one, and listing them. */
@ApiTags('snapshot-policies')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant sees and changes only its own volumes' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('volumes')
export class VolumeSnapshotPoliciesController {
  constructor(
    private readonly policyCommands: SnapshotPolicyCommandsHandler,
    private readonly listPolicies: ListSnapshotPoliciesQuery,
    private readonly volumes: VolumeLookup,
  ) {}

  @Post(':id/snapshot-policies')
  @CommandEndpoint({
    summary: 'Take snapshots of the volume on a schedule, keeping the newest `retention` (CreateSnapshotPolicy command)',
    accepted: SnapshotPolicyAccepted,
    body: { type: CreateSnapshotPolicyRequest },
    notFound: 'volume.not_found',
    conflict: 'volume.already_deleted',
  })
  create(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<SnapshotPolicyAccepted> {
    return this.policyCommands.create(id, body, context);
  }

  @Get(':id/snapshot-policies')
  @ReadEndpoint({
    summary: "The volume's snapshot policies in the order they were created; deleted ones only with status=deleted",
    ok: SnapshotPolicyPage,
    notFound: 'volume.not_found',
  })
  async list(
    @Param('id', UuidParamPipe) id: string,
    @Query(new QueryPipe(ListVolumeSnapshotPoliciesParams)) params: ListVolumeSnapshotPoliciesParams,
    @Ctx() context: RequestContext,
  ): Promise<SnapshotPolicyPage> {
    await this.volumes.visible(id, context);
    return mapPage(await this.listPolicies.execute({ volumeId: id, status: params.status }, pageRequestOf(params), context), toSnapshotPolicyView);
  }
}
