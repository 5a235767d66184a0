import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import { CommandEndpoint, type CommandEndpointOptions } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { TemplateFromVolumeHandler } from '../application/template-from-volume.handler';
import { TemplateFromVolumeRequest } from './template.requests';
import { TemplateAccepted } from './template.view';

/** What both endpoints document alike: one CreateTemplateFromVolume command, from a volume or from a snapshot. */
const FROM_VOLUME: Pick<CommandEndpointOptions, 'accepted' | 'body' | 'badRequest'> = {
  accepted: { type: TemplateAccepted, description: 'templateId is the id the new template will have' },
  body: { type: TemplateFromVolumeRequest },
  badRequest: 'request.invalid: the CreateTemplateFromVolume rules for name, zoneId, osType, description, public',
};

/** Templates made from a volume or a snapshot of it, beside the volume and snapshot endpoints they start from. */
@ApiTags('templates')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'A tenant makes templates of its own volumes and snapshots only; the template is the owner\'s' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller()
export class TemplateFromVolumeController {
  constructor(private readonly handler: TemplateFromVolumeHandler) {}

  @Post('volumes/:id/templates')
  @CommandEndpoint({
    summary: "Make a QCOW2 template of a detached volume's content, exported to the zone's image store (CreateTemplateFromVolume command)",
    ...FROM_VOLUME,
    notFound: 'volume.not_found',
    conflict: 'volume.already_deleted',
  })
  fromVolume(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<TemplateAccepted> {
    return this.handler.fromVolume(id, body, context);
  }

  @Post('snapshots/:id/templates')
  @CommandEndpoint({
    summary: "Make a QCOW2 template of a snapshot's content (a temporary clone exported to the zone's image store; CreateTemplateFromVolume command)",
    ...FROM_VOLUME,
    notFound: 'snapshot.not_found',
    conflict: 'snapshot.not_ready, snapshot.already_deleted',
  })
  fromSnapshot(@Param('id', UuidParamPipe) id: string, @Body() body: unknown, @Ctx() context: RequestContext): Promise<TemplateAccepted> {
    return this.handler.fromSnapshot(id, body, context);
  }
}
