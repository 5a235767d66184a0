import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who is asking and which conversation the request belongs to, from its headers. */
export interface RequestContext {
  /** X-Tenant: a tenant sees and changes only its own resources; absent = operator. */
  readonly tenant: string | null;
  /** X-Correlation-Id: carried by every message the request causes. */
  readonly correlationId: string | null;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.trim().length > 0 ? first.trim() : null;
}

export function requestContextOf(headers: Record<string, string | string[] | undefined>): RequestContext {
  return { tenant: header(headers, 'x-tenant'), correlationId: header(headers, 'x-correlation-id') };
}

export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): RequestContext =>
  requestContextOf(context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers),
);
