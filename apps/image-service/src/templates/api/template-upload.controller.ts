import type { IncomingMessage } from 'node:http';
import { Controller, HttpException, HttpStatus, Param, Put, Query, Req } from '@nestjs/common';
import { TemplateUploads, type UploadResult } from '../application/template-uploads';

const STATUS: Record<Exclude<UploadResult['kind'], 'done'>, HttpStatus> = {
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  broken: HttpStatus.BAD_REQUEST,
};

/** Media types Nest's own body parsers consume: their bytes would no longer be in the stream. */
const PARSED_TYPES = /^application\/((?:[\w.-]+\+)?json|x-www-form-urlencoded)\b/i;

/**
 * PUT /uploads/:templateId?token=...: the bytes of a template registered with upload: true,
 * as the request body (application/octet-stream). The body is read as a stream by the
 * handler, never by a body parser, so there is no size limit and nothing is buffered.
 * The answer comes once the file is verified: 200 with the template's status (ready, or
 * failed with the reason).
 */
@Controller('uploads')
export class TemplateUploadController {
  constructor(private readonly uploads: TemplateUploads) {}

  @Put(':templateId')
  async upload(@Param('templateId') templateId: string, @Query('token') token: string | undefined, @Req() request: IncomingMessage): Promise<unknown> {
    if (PARSED_TYPES.test(request.headers['content-type'] ?? '')) {
      throw new HttpException('send the image as application/octet-stream', HttpStatus.UNSUPPORTED_MEDIA_TYPE);
    }
    const header = request.headers['content-length'];
    const length = header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
    const result = await this.uploads.receive(templateId, typeof token === 'string' ? token : '', request, length);
    if (result.kind !== 'done') throw new HttpException(result.message, STATUS[result.kind]);
    return { templateId: result.templateId, status: result.status, error: result.error };
  }
}
