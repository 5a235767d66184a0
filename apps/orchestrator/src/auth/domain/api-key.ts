import { DomainError, ErrorCategory, type FieldViolation } from '@strata/kernel';
import type { Role } from '../roles.decorator';

/** An API key as the rules below need it. */
export interface ApiKeyState {
  readonly id: string;
  readonly role: Role;
  readonly revokedAt: Date | null;
}

/** A tenant key belongs to exactly one tenant; admin and operator keys to none. */
export function tenantViolations(role: Role, tenant: string | undefined): FieldViolation[] {
  if (role === 'tenant' && tenant === undefined) {
    return [{ field: 'tenant', rule: 'requiredForTenantRole', message: 'tenant is required when role is tenant' }];
  }
  if (role !== 'tenant' && tenant !== undefined) {
    return [{ field: 'tenant', rule: 'onlyForTenantRole', message: `tenant must be left out when role is ${role}: only a tenant key belongs to a tenant` }];
  }
  return [];
}

export type Revocation = { readonly kind: 'revoke' } | { readonly kind: 'already_revoked' };

/**
 * Whether a key may be revoked. Revoking twice changes nothing (the answer shows when it
 * was revoked). The last active admin key stays: without it nobody could make keys again.
 */
export function decideRevocation(key: ApiKeyState, activeAdminKeys: number): Revocation {
  if (key.revokedAt !== null) return { kind: 'already_revoked' };
  if (key.role === 'admin' && activeAdminKeys <= 1) throw lastAdminKey(key.id);
  return { kind: 'revoke' };
}

export function apiKeyNotFound(id: string): DomainError {
  return new DomainError('api_key.not_found', ErrorCategory.NotFound, `API key ${id} does not exist`, { id });
}

export function lastAdminKey(id: string): DomainError {
  return new DomainError(
    'api_key.last_admin',
    ErrorCategory.Conflict,
    `API key ${id} is the last active admin key: create another admin key before revoking it`,
    { id },
  );
}

/** The stream that records a key's lifecycle in the orchestrator's event store. */
export const apiKeyStream = (id: string) => `api-key-${id}`;

/** What the event store records: who made or revoked which key. Never the secret, never its hash. */
export interface ApiKeyCreatedData {
  readonly keyId: string;
  readonly name: string;
  readonly role: Role;
  readonly tenant: string | null;
  readonly prefix: string;
  /** The acting key; null for the bootstrap key, made at start from the environment. */
  readonly createdBy: string | null;
}

export interface ApiKeyRevokedData {
  readonly keyId: string;
  readonly revokedBy: string;
}
