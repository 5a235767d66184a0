import { isBackendError, redactConfig, REDACTED, type BackendError } from '@strata/plugin-sdk';
import { StorPoolConfig } from './storpool.config';
import { storpoolPlugin } from './storpool.plugin';

const TOKEN = '9876543210123456789';

function failure(run: () => unknown): BackendError {
  try {
    run();
  } catch (error) {
    if (isBackendError(error)) return error;
    throw error;
  }
  throw new Error('expected a BackendError');
}

function parseUrl(url: string): Record<string, unknown> {
  if (storpoolPlugin.parseUrl === undefined) throw new Error('the storpool plugin must accept pool URLs');
  return storpoolPlugin.parseUrl(url);
}

describe('storpool pool URLs and config', () => {
  it('parses storpool://token@host:port/template', () => {
    expect(parseUrl(`storpool://${TOKEN}@sp-api.example.net:8181/nvme`)).toEqual({
      host: 'sp-api.example.net',
      port: 8181,
      authToken: TOKEN,
      template: 'nvme',
    });
  });

  it('parses SP_API_HTTP=host:port;SP_AUTH_TOKEN=token;SP_TEMPLATE=name in any order', () => {
    expect(parseUrl(`SP_TEMPLATE=hdd;SP_API_HTTP=10.1.2.3:81;SP_AUTH_TOKEN=${TOKEN}`)).toEqual({
      host: '10.1.2.3',
      port: 81,
      authToken: TOKEN,
      template: 'hdd',
    });
  });

  it('gives both formats the same validated config, with port 81 when none is given', () => {
    const a = storpoolPlugin.parseConfig(parseUrl(`storpool://${TOKEN}@sp1/nvme`));
    const b = storpoolPlugin.parseConfig(parseUrl(`SP_API_HTTP=sp1;SP_AUTH_TOKEN=${TOKEN};SP_TEMPLATE=nvme`));
    expect(a).toBeInstanceOf(StorPoolConfig);
    expect({ ...a }).toEqual({ ...b });
    expect(a.port).toBeUndefined();
    expect(a.host).toBe('sp1');
  });

  it('decodes a percent-encoded token and accepts a bracketed IPv6 host', () => {
    expect(parseUrl('storpool://a%2Bb@[fd00::1]:81/t1')).toEqual({ host: '[fd00::1]', port: 81, authToken: 'a+b', template: 't1' });
    expect(parseUrl(`SP_API_HTTP=[fd00::1]:81;SP_AUTH_TOKEN=${TOKEN};SP_TEMPLATE=t1`)).toMatchObject({ host: '[fd00::1]', port: 81 });
  });

  it.each([
    ['no token', 'storpool://sp1:81/nvme', 'authToken'],
    ['a user:password pair', `storpool://user:${TOKEN}@sp1/nvme`, 'authToken'],
    ['no template', `storpool://${TOKEN}@sp1:81/`, 'template'],
    ['a query string', `storpool://${TOKEN}@sp1/nvme?x=${TOKEN}`, 'query'],
    ['a missing template key', `SP_API_HTTP=sp1:81;SP_AUTH_TOKEN=${TOKEN}`, 'SP_TEMPLATE'],
    ['an unknown key', `SP_API_HTTP=sp1;SP_AUTH_TOKEN=${TOKEN};SP_TEMPLATE=a;SP_CLUSTER=${TOKEN}`, 'SP_CLUSTER'],
    ['a key that is really a token', `SP_API_HTTP=sp1;${TOKEN}x=1;SP_AUTH_TOKEN=${TOKEN};SP_TEMPLATE=a`, '(not shown)'],
    ['a bad host:port', `SP_API_HTTP=sp1:81:82;SP_AUTH_TOKEN=${TOKEN};SP_TEMPLATE=a`, 'SP_API_HTTP'],
    ['neither format', TOKEN, 'format'],
  ])('refuses %s, naming the part and never the token', (_label, url, field) => {
    const error = failure(() => parseUrl(url));
    expect(error.kind).toBe('invalid');
    expect(error.details.violations).toEqual([expect.objectContaining({ field })]);
    expect(error.message).not.toContain(TOKEN);
    expect(JSON.stringify(error.details)).not.toContain(TOKEN);
  });

  it('refuses a bad config field by field, without echoing the token', () => {
    const error = failure(() =>
      storpoolPlugin.parseConfig({ host: 'bad host', port: 70000, authToken: `${TOKEN} with spaces`, template: 'a/b', clients: { h1: 0 } }),
    );
    expect(error.kind).toBe('invalid');
    const fields = (error.details.violations ?? []).map((v) => v.field);
    expect(new Set(fields)).toEqual(new Set(['host', 'port', 'authToken', 'template', 'clients']));
    expect(error.message).not.toContain(TOKEN);
  });

  it('redacts the token wherever config is shown', () => {
    const raw = parseUrl(`storpool://${TOKEN}@sp1:81/nvme`);
    const redacted = redactConfig(storpoolPlugin.manifest, storpoolPlugin.parseConfig(raw));
    expect(redacted['authToken']).toBe(REDACTED);
    expect(JSON.stringify(redacted)).not.toContain(TOKEN);
    expect(redacted).toMatchObject({ host: 'sp1', port: 81, template: 'nvme' });
  });
});
