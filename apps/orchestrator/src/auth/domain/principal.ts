import type { Role } from '../roles.decorator';

export const ROLES: readonly Role[] = ['admin', 'operator', 'tenant'];

/** Who a request acts as: the API key that authenticated it. */
export interface Principal {
  readonly keyId: string;
  readonly role: Role;
  /** The tenant of a tenant key; null for admin and operator keys. */
  readonly tenant: string | null;
}

/**
 * The tenant a request acts for. A tenant key always acts as its own tenant (X-Tenant is
 * ignored, so it cannot name another); an admin or operator key acts for every tenant, or
 * for the one X-Tenant names (how a cloud platform acts on behalf of its tenants).
 */
export function actingTenant(principal: Principal, xTenant: string | null): string | null {
  return principal.role === 'tenant' ? principal.tenant : xTenant;
}

/** Why a role may not call an endpoint allowed to `allowed` (undefined: every role), or null when it may. */
export function roleRefusal(role: Role, allowed: readonly Role[] | undefined): string | null {
  if (allowed === undefined || allowed.length === 0 || allowed.includes(role)) return null;
  const names = allowed.length === 1 ? `the ${allowed[0]} role` : `the ${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]} role`;
  return `this needs ${names}; the key has the ${role} role`;
}
