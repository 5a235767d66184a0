import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ApiError, type ApiErrorBody } from './api-error';

const codeByStatus: Readonly<Record<number, string>> = {
  400: 'request.invalid',
  404: 'route.not_found',
  405: 'route.method_not_allowed',
  413: 'request.too_large',
  415: 'request.unsupported_media_type',
};

/** What the framework (or body parser) threw, in the API's own shape. */
function fromHttpException(error: HttpException): ApiErrorBody {
  const statusCode = error.getStatus();
  const response = error.getResponse();
  const raw = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
  let message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : error.message;
  // The JSON parser reports the offending input; saying it is not JSON is enough.
  if (statusCode === 400 && /JSON/.test(message)) message = 'request body is not valid JSON';
  return { statusCode, code: codeByStatus[statusCode] ?? `http.${statusCode}`, message };
}

/** Body-parser errors arrive as plain errors carrying an HTTP status. */
function fromParserError(error: unknown): ApiErrorBody | undefined {
  const e = error as { status?: unknown; type?: unknown };
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500 || typeof e.type !== 'string') return undefined;
  const message = e.type === 'entity.parse.failed' ? 'request body is not valid JSON' : e.type.replace(/[._]/g, ' ');
  return { statusCode: e.status, code: codeByStatus[e.status] ?? `http.${e.status}`, message };
}

/**
 * Every error leaves in one shape, { statusCode, code, message, violations? }. Anything
 * unexpected becomes a bare 500: its message may hold SQL, hosts or credentials, so it
 * goes to the log only.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('Api');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{
      status(code: number): { json(body: unknown): void };
      headersSent?: boolean;
    }>();
    const body = this.toBody(error);
    if (response.headersSent) return;
    response.status(body.statusCode).json(body);
  }

  private toBody(error: unknown): ApiErrorBody {
    if (error instanceof ApiError) return error.toBody();
    if (error instanceof HttpException) return fromHttpException(error);
    const parser = fromParserError(error);
    if (parser) return parser;
    this.log.error(`unhandled error: ${(error as Error)?.stack ?? String(error)}`);
    return { statusCode: 500, code: 'internal.error', message: 'internal error; see the orchestrator log' };
  }
}
