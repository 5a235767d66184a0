import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/api/api-key.guard';
import { actingTenant, type Principal } from '../auth/domain/principal';
import { ApiError } from './api-error';

/** Who is asking and which conversation the request belongs to. */
export interface RequestContext {
  /**
   * The tenant the request acts for: a tenant key's own tenant; for an admin or operator
   * key the X-Tenant header (acting for that tenant), or null = every tenant.
   */
  readonly tenant: string | null;
  /** X-Correlation-Id: carried by every message the request causes. */
  readonly correlationId: string | null;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.trim().length > 0 ? first.trim() : null;
}

/**
 * The key that authenticated the request. The global ApiKeyGuard sets it on every route
 * that reaches a controller; without one nothing is known about the caller, so nothing is done.
 */
export function principalOf(request: AuthenticatedRequest): Principal {
  if (!request.principal) throw new ApiError(401, 'auth.missing_key', 'this needs an API key: send Authorization: Bearer <key>', { 'WWW-Authenticate': 'Bearer' });
  return request.principal;
}

export function requestContextOf(request: AuthenticatedRequest): RequestContext {
  return {
    tenant: actingTenant(principalOf(request), header(request.headers, 'x-tenant')),
    correlationId: header(request.headers, 'x-correlation-id'),
  };
}

export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): RequestContext =>
  requestContextOf(context.switchToHttp().getRequest<AuthenticatedRequest>()),
);

/** The calling key, for endpoints that record who acted (API keys). */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): Principal =>
  principalOf(context.switchToHttp().getRequest<AuthenticatedRequest>()),
);
