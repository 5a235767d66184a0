import { Inject, Injectable } from '@nestjs/common';
import type { FieldViolation } from '@strata/kernel';
import { IdGenerator, SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { templateAlreadyDeleted, templateNotReady } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { uploadUrlOf } from '../domain/upload-url';
import { IMAGE_SERVICE_URL } from '../infrastructure/image-service-url';
import { TemplateLookup } from './template-lookup';

export interface TemplateCommandAccepted {
  readonly jobId: string;
  readonly templateId: string;
  /** Only for a registration by upload: where to PUT the bytes. */
  readonly uploadUrl?: string;
}

const wantsUpload = (body: unknown) => typeof body === 'object' && body !== null && (body as { upload?: unknown }).upload === true;

/**
 * The template commands (to the image service, through the same submitter and outbox as every
 * command). The body is checked with the image service's rules; the template must be visible
 * and owned by the caller (404 otherwise) and in a state the command makes sense in (409).
 */
@Injectable()
export class TemplateCommandsHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly templates: TemplateLookup,
    private readonly ids: IdGenerator,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(IMAGE_SERVICE_URL) private readonly imageServiceUrl: string,
  ) {}

  /** POST /templates: a new template id; by upload, the answer carries the URL to PUT the file to. */
  async register(body: unknown, context: RequestContext): Promise<TemplateCommandAccepted> {
    const templateId = this.ids.newId();
    const upload = wantsUpload(body);
    // The upload URL is signed with the secret key: without one there is no URL to hand out.
    const more: FieldViolation[] =
      upload && !this.config.secretKey
        ? [{ field: 'upload', rule: 'uploadUnavailable', message: 'upload needs STRATA_SECRET_KEY set on the orchestrator (it signs the upload URL); give url instead' }]
        : [];
    const jobId = await this.commands.submit('RegisterTemplate', templateId, body, context, more);
    if (!upload || !this.config.secretKey) return { jobId, templateId };
    return { jobId, templateId, uploadUrl: uploadUrlOf(this.imageServiceUrl, this.config.secretKey, templateId) };
  }

  /** PATCH /templates/{id}: only the fields given change. */
  async update(templateId: string, body: unknown, context: RequestContext): Promise<TemplateCommandAccepted> {
    await this.live(templateId, context);
    const jobId = await this.commands.submit('UpdateTemplate', templateId, body, context);
    return { jobId, templateId };
  }

  /** DELETE /templates/{id}; a body sent with it is ignored, as for every DELETE. */
  async delete(templateId: string, context: RequestContext): Promise<TemplateCommandAccepted> {
    await this.live(templateId, context);
    const jobId = await this.commands.submit('DeleteTemplate', templateId, {}, context);
    return { jobId, templateId };
  }

  /** POST /templates/{id}/copies {zoneId}: a ready template copied to another zone's image store. */
  async copy(templateId: string, body: unknown, context: RequestContext): Promise<TemplateCommandAccepted> {
    const template = await this.live(templateId, context);
    if (template.status !== 'ready') throw templateNotReady(templateId, template.status);
    const jobId = await this.commands.submit('CopyTemplate', templateId, body, context);
    return { jobId, templateId };
  }

  private async live(templateId: string, context: RequestContext) {
    const template = await this.templates.owned(templateId, context);
    if (template.status === 'deleted') throw templateAlreadyDeleted(templateId);
    return template;
  }
}
