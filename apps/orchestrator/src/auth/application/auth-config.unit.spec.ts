import { ConfigError } from '@strata/service-kit';
import { loadAuthConfig } from './auth-config';

describe('the access configuration', () => {
  it('takes STRATA_BOOTSTRAP_ADMIN_KEY when it is set, nothing when it is not', () => {
    expect(loadAuthConfig({ STRATA_BOOTSTRAP_ADMIN_KEY: 'k'.repeat(40) })).toEqual({ bootstrapKey: 'k'.repeat(40) });
    expect(loadAuthConfig({})).toEqual({ bootstrapKey: null });
    expect(loadAuthConfig({ STRATA_BOOTSTRAP_ADMIN_KEY: '' })).toEqual({ bootstrapKey: null });
    expect(loadAuthConfig({ STRATA_BOOTSTRAP_ADMIN_KEY: ` ${'k'.repeat(40)}\n` })).toEqual({ bootstrapKey: 'k'.repeat(40) });
  });

  it('stops the service at start on a bad value, naming the variable and never quoting the value', () => {
    let error: unknown;
    try {
      loadAuthConfig({ STRATA_BOOTSTRAP_ADMIN_KEY: 'too-short-secret' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^STRATA_BOOTSTRAP_ADMIN_KEY: at least 32 characters/)]);
    expect((error as ConfigError).message).not.toContain('too-short-secret');
  });
});
