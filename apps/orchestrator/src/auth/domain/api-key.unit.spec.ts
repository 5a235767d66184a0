import { isDomainError } from '@strata/kernel';
import { decideRevocation, tenantViolations } from './api-key';

describe('API key rules', () => {
  it('wants a tenant for a tenant key and none for the others', () => {
    expect(tenantViolations('tenant', 'acme')).toEqual([]);
    expect(tenantViolations('admin', undefined)).toEqual([]);
    expect(tenantViolations('tenant', undefined)).toEqual([expect.objectContaining({ field: 'tenant', rule: 'requiredForTenantRole' })]);
    expect(tenantViolations('operator', 'acme')).toEqual([expect.objectContaining({ field: 'tenant', rule: 'onlyForTenantRole' })]);
  });

  it('revokes any active key but the last active admin key', () => {
    expect(decideRevocation({ id: 'k', role: 'operator', revokedAt: null }, 1)).toEqual({ kind: 'revoke' });
    expect(decideRevocation({ id: 'k', role: 'admin', revokedAt: null }, 2)).toEqual({ kind: 'revoke' });
    let refusal: unknown;
    try {
      decideRevocation({ id: 'k', role: 'admin', revokedAt: null }, 1);
    } catch (error) {
      refusal = error;
    }
    expect(isDomainError(refusal) && { code: refusal.code, category: refusal.category }).toEqual({ code: 'api_key.last_admin', category: 'conflict' });
  });

  it('changes nothing when the key is already revoked', () => {
    expect(decideRevocation({ id: 'k', role: 'admin', revokedAt: new Date() }, 0)).toEqual({ kind: 'already_revoked' });
  });
});
