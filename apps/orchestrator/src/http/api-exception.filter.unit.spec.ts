import { BadRequestException, NotFoundException, type ArgumentsHost } from '@nestjs/common';
import { DomainError, ErrorCategory } from '@strata/kernel';
import { invalidRequest, notFound, volumeAlreadyDeleted } from '../errors';
import { ApiError } from './api-error';
import { ApiExceptionFilter } from './api-exception.filter';

function answer(error: unknown): { status: number; body: Record<string, unknown> } {
  const sent = { status: 0, body: {} as Record<string, unknown> };
  const response = {
    status(code: number) {
      sent.status = code;
      return { json: (body: Record<string, unknown>) => (sent.body = body) };
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(error, host);
  return sent;
}

describe('API error shape', () => {
  it('answers 400 request.invalid with every violation', () => {
    const violations = [{ field: 'sizeBytes', rule: 'min', message: 'sizeBytes must not be less than 1' }];
    expect(answer(invalidRequest(violations))).toEqual({
      status: 400,
      body: { statusCode: 400, code: 'request.invalid', message: 'invalid sizeBytes: sizeBytes must not be less than 1', violations },
    });
  });

  it('maps domain categories to statuses', () => {
    expect(answer(notFound('volume', 'v-1')).body).toEqual({ statusCode: 404, code: 'volume.not_found', message: 'volume v-1 does not exist' });
    expect(answer(volumeAlreadyDeleted('v-1')).status).toBe(409);
    expect(answer(new DomainError('x.backend', ErrorCategory.Backend, 'down')).status).toBe(502);
  });

  it('keeps HTTP refusals and framework errors in the same shape', () => {
    expect(answer(new ApiError(403, 'auth.forbidden', 'this needs the admin role')).body).toEqual({
      statusCode: 403,
      code: 'auth.forbidden',
      message: 'this needs the admin role',
    });
    expect(answer(new NotFoundException('Cannot GET /nope')).body).toEqual({ statusCode: 404, code: 'route.not_found', message: 'Cannot GET /nope' });
  });

  it('sends the headers an HTTP refusal carries (WWW-Authenticate on a 401)', () => {
    const headers: Record<string, string> = {};
    const sent = { status: 0 };
    const response = {
      setHeader: (name: string, value: string) => (headers[name] = value),
      status: (code: number) => ((sent.status = code), { json: () => undefined }),
    };
    const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
    new ApiExceptionFilter().catch(new ApiError(401, 'auth.missing_key', 'no key', { 'WWW-Authenticate': 'Bearer' }), host);
    expect(sent.status).toBe(401);
    expect(headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
  });

  it('says a body is not JSON without quoting it, naming the body as the field at fault', () => {
    const notJson = {
      statusCode: 400,
      code: 'request.invalid',
      message: 'request body is not valid JSON',
      violations: [{ field: 'body', rule: 'isJson', message: 'request body is not valid JSON' }],
    };
    const wrapped = new BadRequestException('Unexpected token \'p\', "password=hunter2" is not valid JSON');
    expect(answer(wrapped).body).toEqual(notJson);
    const parserError = Object.assign(new SyntaxError('Unexpected token p in JSON: password=hunter2'), { status: 400, type: 'entity.parse.failed' });
    expect(answer(parserError).body).toEqual(notJson);
    const charset = Object.assign(new Error('unsupported charset "LATIN-9"'), { status: 415, type: 'charset.unsupported' });
    expect(answer(charset).body).toEqual({ statusCode: 415, code: 'request.unsupported_media_type', message: 'charset unsupported' });
  });

  it('hides what an unexpected error says: it may hold credentials', () => {
    const leak = new Error('connect ECONNREFUSED postgres://strata:secret@db:5432/strata');
    const filter = new ApiExceptionFilter();
    // The log gets the details; the client gets none.
    jest.spyOn((filter as unknown as { log: { error: () => void } }).log, 'error').mockImplementation(() => undefined);
    const sent = { status: 0, body: '' };
    const host = {
      switchToHttp: () => ({ getResponse: () => ({ status: (c: number) => ((sent.status = c), { json: (b: unknown) => (sent.body = JSON.stringify(b)) }) }) }),
    } as unknown as ArgumentsHost;
    filter.catch(leak, host);
    expect(sent.status).toBe(500);
    expect(sent.body).not.toMatch(/secret|postgres|ECONNREFUSED|at /);
    expect(JSON.parse(sent.body)).toEqual({ statusCode: 500, code: 'internal.error', message: 'internal error; see the orchestrator log' });
  });
});
