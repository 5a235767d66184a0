import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HealthController, MetricsController } from '@strata/service-kit';
import { ApiError } from '../../http/api-error';
import { PluginRegistry } from '../../plugins/application/plugin-registry';
import { ApiKeyAuthenticator } from '../application/api-key-authenticator';
import { CREDENTIALS_KEY } from '../credentials.decorator';
import { credentialFieldOf, type CredentialRule } from '../domain/credential-fields';
import { roleRefusal, type Principal } from '../domain/principal';
import { ROLES_KEY, type Role } from '../roles.decorator';

/** What the guard reads from a request and leaves on it. */
export interface AuthenticatedRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body?: unknown;
  principal?: Principal;
}

/**
 * The controllers of service-kit, shared by every service, carry no metadata of ours (and
 * service-kit stays free of the orchestrator's roles): they are recognised by class.
 * /health and /health/ready are public; /metrics needs an admin or operator key.
 */
const PUBLIC_CONTROLLERS: readonly unknown[] = [HealthController];
const CONTROLLER_ROLES = new Map<unknown, readonly Role[]>([[MetricsController, ['admin', 'operator']]]);

const unauthorized = (code: string, message: string) => new ApiError(401, code, message, { 'WWW-Authenticate': 'Bearer' });

/** The bearer key of a request, or null when it carries none. */
export function bearerKeyOf(headers: AuthenticatedRequest['headers']): string | null {
  const raw = headers.authorization;
  const value = Array.isArray(raw) ? raw[0] : raw;
  const match = value === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  return match ? match[1] : null;
}

/**
 * The global guard (APP_GUARD): every request but the public ones carries
 * `Authorization: Bearer <key>`; the key's role must be one the endpoint allows (@Roles;
 * none = every role); a body that carries credentials needs an admin key. The principal
 * is left on the request for Ctx (request-context.ts).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyAuthenticator,
    private readonly plugins: PluginRegistry,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const controller = context.getClass();
    if (PUBLIC_CONTROLLERS.includes(controller)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();

    const secret = bearerKeyOf(request.headers);
    if (secret === null) throw unauthorized('auth.missing_key', 'this needs an API key: send Authorization: Bearer <key>');
    const principal = await this.keys.authenticate(secret);
    // One message for unknown and revoked keys: the answer must not tell which keys exist.
    if (principal === null) throw unauthorized('auth.invalid_key', 'the API key is not valid (unknown or revoked)');
    request.principal = principal;

    const allowed = CONTROLLER_ROLES.get(controller) ?? this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), controller]);
    const refusal = roleRefusal(principal.role, allowed);
    if (refusal !== null) throw new ApiError(403, 'auth.forbidden', refusal);

    const rule = this.reflector.get<CredentialRule | undefined>(CREDENTIALS_KEY, context.getHandler());
    if (rule !== undefined && principal.role !== 'admin') {
      const field = credentialFieldOf(rule, request.body, (plugin) => this.secretKeysOf(plugin));
      if (field !== null) {
        throw new ApiError(403, 'auth.forbidden', `${field} carries a credential: only the admin role may send credentials; the key has the ${principal.role} role`);
      }
    }
    return true;
  }

  /** The plugin's secret config keys; for a plugin not known here, every plugin's. */
  private secretKeysOf(plugin: unknown): readonly string[] {
    const found = typeof plugin === 'string' ? this.plugins.find(plugin) : undefined;
    if (found) return found.manifest.secretConfigKeys;
    return [...new Set(this.plugins.plugins.flatMap((p) => p.manifest.secretConfigKeys))];
  }
}
