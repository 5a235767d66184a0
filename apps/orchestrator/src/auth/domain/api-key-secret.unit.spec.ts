import { API_KEY_PREFIX, bootstrapKeyProblem, hashApiKey, newApiKeySecret, shownPrefix } from './api-key-secret';

describe('API key secrets', () => {
  it('are stk_ and 43 base64url characters from 32 random bytes, different each time', () => {
    const key = newApiKeySecret();
    expect(key).toMatch(/^stk_[A-Za-z0-9_-]{43}$/);
    expect(newApiKeySecret()).not.toBe(key);
    expect(newApiKeySecret(Buffer.alloc(32, 0xff))).toBe(`${API_KEY_PREFIX}${'_'.repeat(42)}8`);
    expect(() => newApiKeySecret(Buffer.alloc(16))).toThrow(/32 random bytes/);
  });

  it('are kept as their sha256 (hex), which does not contain them', () => {
    const key = 'stk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey(key)).not.toContain(key.slice(4));
  });

  it('show only their first characters', () => {
    expect(shownPrefix('stk_AbCdEfGhIjKlMn')).toBe('stk_AbCdEfGh');
    expect(shownPrefix('a-bootstrap-key-of-my-own-making-123')).toBe('a-bootst');
  });

  it.each([
    ['short', 'x'.repeat(31), /at least 32 characters/],
    ['long', 'x'.repeat(513), /at most 512/],
    ['with a space', `${'x'.repeat(32)} y`, /no spaces/],
    ['with a control character', `${'x'.repeat(32)}\n`, /no spaces/],
  ])('refuse a %s bootstrap key, naming the variable', (_label, value, problem) => {
    expect(bootstrapKeyProblem(value)).toMatch(problem);
    expect(bootstrapKeyProblem(value)).toMatch(/^STRATA_BOOTSTRAP_ADMIN_KEY: /);
  });

  it('take any long printable bootstrap key, a generated one included', () => {
    expect(bootstrapKeyProblem(newApiKeySecret())).toBeNull();
    expect(bootstrapKeyProblem('x'.repeat(32))).toBeNull();
  });
});
