import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiError } from './api-error';
import { requestContextOf } from './request-context';

/** Shared infrastructure (pools) is changed by operators only, never by a tenant. */
@Injectable()
export class OperatorOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    if (requestContextOf(request.headers).tenant !== null) {
      throw new ApiError(403, 'auth.operator_only', 'only an operator (a request without X-Tenant) may do this');
    }
    return true;
  }
}
