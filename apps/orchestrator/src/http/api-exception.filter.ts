import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { assertUnreachable, isDomainError, type DomainError, type ErrorCategory, type FieldViolation } from '@strata/kernel';
import { ApiError, type ApiErrorBody } from './api-error';

function statusOf(category: ErrorCategory): number {
  switch (category) {
    case 'validation':
      return 400;
    case 'not_found':
      return 404;
    case 'conflict':
    case 'illegal_state':
    case 'capacity':
      return 409;
    case 'backend':
      return 502;
    default:
      return assertUnreachable(category);
  }
}

function fromDomainError(error: DomainError): ApiErrorBody {
  const violations = error.details.violations;
  return {
    statusCode: statusOf(error.category),
    code: error.code,
    message: error.message,
    ...(Array.isArray(violations) ? { violations: violations as FieldViolation[] } : {}),
  };
}

const codeByStatus: Readonly<Record<number, string>> = {
  400: 'request.invalid',
  404: 'route.not_found',
  405: 'route.method_not_allowed',
  413: 'request.too_large',
  415: 'request.unsupported_media_type',
};

/** A body that is not JSON (or not a JSON object or array): the body itself is the field at fault. */
function notJson(statusCode: number): ApiErrorBody {
  const message = 'request body is not valid JSON';
  return { statusCode, code: codeByStatus[statusCode] ?? `http.${statusCode}`, message, violations: [{ field: 'body', rule: 'isJson', message }] };
}

/** What the framework threw (unknown route, ...), in the API's own shape. */
function fromHttpException(error: HttpException): ApiErrorBody {
  const statusCode = error.getStatus();
  const response = error.getResponse();
  const raw = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
  const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : error.message;
  // Nest wraps the JSON parser's error, whose message may quote the body: name the problem only.
  if (statusCode === 400 && (error.cause instanceof SyntaxError || /\bJSON\b/.test(message))) return notJson(statusCode);
  return { statusCode, code: codeByStatus[statusCode] ?? `http.${statusCode}`, message };
}

/** Body-parser errors arrive as plain errors carrying an HTTP status and a type. */
function fromParserError(error: unknown): ApiErrorBody | undefined {
  const e = error as { status?: unknown; type?: unknown };
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500 || typeof e.type !== 'string') return undefined;
  // The parser's own message quotes the input; naming the problem is enough.
  if (e.type === 'entity.parse.failed') return notJson(e.status);
  const message = e.type.replace(/[._]/g, ' ');
  const code = codeByStatus[e.status] ?? `http.${e.status}`;
  // A body refused as a whole (bad charset, encoding): the body is the field at fault.
  if (e.status === 400) return { statusCode: 400, code, message, violations: [{ field: 'body', rule: e.type, message }] };
  return { statusCode: e.status, code, message };
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
    const response = host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void }; setHeader?(name: string, value: string): void; headersSent?: boolean }>();
    const body = this.toBody(error);
    if (response.headersSent) return;
    if (error instanceof ApiError) for (const [name, value] of Object.entries(error.headers)) response.setHeader?.(name, value);
    response.status(body.statusCode).json(body);
  }

  toBody(error: unknown): ApiErrorBody {
    if (error instanceof ApiError) return { statusCode: error.statusCode, code: error.code, message: error.message };
    if (isDomainError(error)) return fromDomainError(error);
    if (error instanceof HttpException) return fromHttpException(error);
    const parser = fromParserError(error);
    if (parser) return parser;
    this.log.error(`unhandled error: ${(error as Error)?.stack ?? String(error)}`);
    return { statusCode: 500, code: 'internal.error', message: 'internal error; see the orchestrator log' };
  }
}
