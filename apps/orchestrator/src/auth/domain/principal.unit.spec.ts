import { actingTenant, roleRefusal, type Principal } from './principal';

const admin: Principal = { keyId: 'k-1', role: 'admin', tenant: null };
const operator: Principal = { keyId: 'k-2', role: 'operator', tenant: null };
const acme: Principal = { keyId: 'k-3', role: 'tenant', tenant: 'acme' };

describe('the role rule', () => {
  it('lets every role call an endpoint that names none', () => {
    for (const role of ['admin', 'operator', 'tenant'] as const) {
      expect(roleRefusal(role, undefined)).toBeNull();
      expect(roleRefusal(role, [])).toBeNull();
    }
  });

  it('lets the named roles in and names them to the others', () => {
    expect(roleRefusal('operator', ['admin', 'operator'])).toBeNull();
    expect(roleRefusal('tenant', ['admin', 'operator'])).toBe('this needs the admin or operator role; the key has the tenant role');
    expect(roleRefusal('operator', ['admin'])).toBe('this needs the admin role; the key has the operator role');
    expect(roleRefusal('tenant', ['admin', 'operator', 'tenant'])).toBeNull();
  });
});

describe('the tenant a request acts for', () => {
  it('is always the tenant key’s own: X-Tenant cannot name another', () => {
    expect(actingTenant(acme, null)).toBe('acme');
    expect(actingTenant(acme, 'globex')).toBe('acme');
  });

  it('is every tenant for admin and operator keys, or the one X-Tenant names', () => {
    expect(actingTenant(admin, null)).toBeNull();
    expect(actingTenant(operator, null)).toBeNull();
    expect(actingTenant(admin, 'acme')).toBe('acme');
    expect(actingTenant(operator, 'globex')).toBe('globex');
  });
});
