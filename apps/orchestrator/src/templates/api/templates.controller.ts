import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { mapPage } from '../../http/cursor';
import { CommandEndpoint, ReadEndpoint } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { DeployTemplateVolumeHandler } from '../application/deploy-template-volume.handler';
import { GetTemplateQuery } from '../application/get-template.query';
import { ListTemplatesQuery } from '../application/list-templates.query';
import { TemplateCommandsHandler } from '../application/template-commands.handler';
import { TemplateLookup } from '../application/template-lookup';
import { ListTemplatesParams } from './list-templates.params';
import { CopyTemplateRequest, DeployTemplateVolumeRequest, RegisterTemplateRequest, UpdateTemplateRequest } from './template.requests';
import { DeploymentAcceptedView, TemplateAccepted, TemplateDetailView, TemplatePage, toTemplateDetailView, toTemplateView } from './template.view';

@ApiTags('templates')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant sees its own templates and the public ones, and changes only its own' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('templates')
export class TemplatesController {
  constructor(
    private readonly commands: TemplateCommandsHandler,
    private readonly deploy: DeployTemplateVolumeHandler,
    private readonly listTemplates: ListTemplatesQuery,
    private readonly getTemplate: GetTemplateQuery,
    private readonly templates: TemplateLookup,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Post()
  @CommandEndpoint({
    summary: 'Register a template or an ISO from a URL or by upload (RegisterTemplate command)',
    accepted: { type: TemplateAccepted, description: 'With upload: true, uploadUrl is where to PUT the file' },
    body: { type: RegisterTemplateRequest },
    badRequest: 'request.invalid: the RegisterTemplate rules; upload without STRATA_SECRET_KEY on the orchestrator (field upload)',
  })
  register(@Body() body: unknown, @Ctx() context: RequestContext): Promise<TemplateAccepted> {
    return this.commands.register(body, context);
  }

  @Get()
  @ReadEndpoint({ summary: 'List templates in the order they were registered; deleted ones only with status=deleted', ok: TemplatePage })
  async list(@Query(new QueryPipe(ListTemplatesParams)) params: ListTemplatesParams, @Ctx() context: RequestContext): Promise<TemplatePage> {
    const { status, zoneId, kind, name } = params;
    return mapPage(await this.listTemplates.execute({ status, zoneId, kind, name }, pageRequestOf(params), context), toTemplateView);
  }

  @Get(':id')
  @ReadEndpoint({ summary: 'A template with its copies and its cached bases', ok: TemplateDetailView, notFound: 'template.not_found' })
  async get(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<TemplateDetailView> {
    return toTemplateDetailView(await this.getTemplate.execute(id, context));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The template's event history, in stream order", ok: EventHistoryView, notFound: 'template.not_found' })
  async events(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<EventHistoryView> {
    await this.templates.visible(id, context);
    return toEventHistory(await this.history.execute(id));
  }

  @Patch(':id')
  @CommandEndpoint({
    summary: "Change a template's name, OS type, description or visibility (UpdateTemplate command)",
    accepted: TemplateAccepted,
    body: { type: UpdateTemplateRequest },
    notFound: 'template.not_found',
    conflict: 'template.already_deleted',
  })
  update(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<TemplateAccepted> {
    return this.commands.update(id, body, context);
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: 'Delete a template: its copies, and its cached bases once no volume depends on them (DeleteTemplate command)',
    accepted: TemplateAccepted,
    notFound: 'template.not_found',
    conflict: 'template.already_deleted',
  })
  delete(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<TemplateAccepted> {
    return this.commands.delete(id, context);
  }

  @Post(':id/copies')
  @CommandEndpoint({
    summary: "Copy a ready template to another zone's image store (CopyTemplate command)",
    accepted: TemplateAccepted,
    body: { type: CopyTemplateRequest },
    notFound: 'template.not_found',
    conflict: 'template.not_ready, template.already_deleted',
  })
  copy(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<TemplateAccepted> {
    return this.commands.copy(id, body, context);
  }

  @Post(':id/volumes')
  @CommandEndpoint({
    summary: "Deploy a ROOT volume from the template: its cached base on the pool is made (or found), then cloned and grown to sizeBytes",
    accepted: DeploymentAcceptedView,
    body: { type: DeployTemplateVolumeRequest },
    badRequest: "request.invalid: the CreateVolume rules for name, poolId, hypervisor; sizeBytes below the template's virtual size",
    notFound: 'template.not_found, pool.not_found',
    conflict: 'template.not_ready (field status), template.not_deployable (field kind: an ISO)',
  })
  deployVolume(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<DeploymentAcceptedView> {
    return this.deploy.execute(id, body, context);
  }
}
