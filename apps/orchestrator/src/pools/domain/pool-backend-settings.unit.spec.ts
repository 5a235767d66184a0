import { BackendError, parseConfigWith, type BackendPlugin, type PluginManifest } from '@strata/plugin-sdk';
import { registeredPlugins } from '../../plugins/application/plugin-registry';
import { checkPoolBackendSettings, type PluginLookup } from './pool-backend-settings';

const pool = (settings: Record<string, unknown>) => ({ name: 'p1', zoneId: 'z1', ...settings });
const check = (settings: Record<string, unknown>, registry: PluginLookup = registeredPlugins) => checkPoolBackendSettings(pool(settings), registry);
const rules = (settings: Record<string, unknown>) => check(settings).map((v) => [v.field, v.rule]);

describe('pool settings checked by the plugin before the command is queued', () => {
  it('accepts what each registered plugin takes, by config or by URL', () => {
    expect(check({ plugin: 'file', config: { path: '/srv/pools/fast' } })).toEqual([]);
    expect(check({ plugin: 'powerflex', url: 'powerflex://admin:Secr3t%23pw@gw.example:8443/pool1' })).toEqual([]);
    expect(check({ plugin: 'storpool', url: 'SP_API_HTTP=10.0.0.5:81;SP_AUTH_TOKEN=4567890123;SP_TEMPLATE=hybrid' })).toEqual([]);
    expect(check({ plugin: 'linstor', url: 'linstor://tok3n@controller:3370/rg_fast?placeCount=2' })).toEqual([]);
    expect(check({ plugin: 'storpool', config: { host: 'sp.example', authToken: 'tok', template: 'hdd' } })).toEqual([]);
  });

  it('refuses an unregistered plugin, listing the registered ones', () => {
    const [violation, ...rest] = check({ plugin: 'nfs', config: { path: '/x' } });
    expect(rest).toEqual([]);
    expect(violation).toMatchObject({ field: 'plugin', rule: 'isIn' });
    for (const name of ['file', 'powerflex', 'linstor', 'storpool']) expect(violation.message).toContain(name);
  });

  it('names a PowerFlex URL without a pool by the URL part, and never quotes the password', () => {
    const violations = check({ plugin: 'powerflex', url: 'powerflex://admin:hunter2-pw@gw.example' });
    expect(violations).toEqual([{ field: 'url.storagePool', rule: 'required', message: expect.stringMatching(/storage pool/) }]);
    expect(JSON.stringify(violations)).not.toContain('hunter2');
  });

  it('names a StorPool config with a bad port config.port, with the rule and bound', () => {
    expect(check({ plugin: 'storpool', config: { host: 'sp.example', port: 70000, authToken: 'very-secret-token', template: 'hdd' } })).toEqual([
      { field: 'config.port', rule: 'max', message: 'config.port must not be greater than 65535' },
    ]);
    // The same setting read from the URL is named after the URL.
    expect(rules({ plugin: 'storpool', url: 'SP_API_HTTP=sp.example:99999;SP_AUTH_TOKEN=very-secret-token;SP_TEMPLATE=hdd' })).toEqual([['url.port', 'max']]);
  });

  it('reads a LINSTOR URL: the settings in it are checked as url.<setting>', () => {
    expect(rules({ plugin: 'linstor', url: 'linstor://controller:3370/' })).toEqual([['url', 'resourceGroup']]);
    expect(rules({ plugin: 'linstor', url: 'linstor://controller:3370/rg_fast?placeCount=99' })).toEqual([['url.placeCount', 'max']]);
    expect(rules({ plugin: 'linstor', url: 'linstor://controller:3370/9-not-a-group' })).toEqual([['url.resourceGroup', 'matches']]);
  });

  it('names a file config with a relative path config.path, and unknown settings too', () => {
    const violations = check({ plugin: 'file', config: { path: 'relative/dir', secret: 'x' } });
    expect(violations.map((v) => [v.field, v.rule])).toEqual(
      expect.arrayContaining([
        ['config.path', 'isAbsolutePath'],
        ['config.secret', 'whitelistValidation'],
      ]),
    );
    expect(violations.find((v) => v.field === 'config.path')?.message).toMatch(/^config\.path must be an absolute path/);
  });

  it('refuses a URL for a plugin that takes none', () => {
    expect(check({ plugin: 'file', url: 'file:///srv/pool' })).toEqual([
      { field: 'url', rule: 'urlSupported', message: 'the file plugin takes no pool URL; give config instead' },
    ]);
  });

  it('leaves the body, plugin, and config-or-url shape to the command rules', () => {
    expect(checkPoolBackendSettings(undefined, registeredPlugins)).toEqual([]);
    expect(checkPoolBackendSettings([1], registeredPlugins)).toEqual([]);
    expect(check({ plugin: 42, config: {} })).toEqual([]);
    expect(check({ plugin: 'file' })).toEqual([]);
    expect(check({ plugin: 'file', config: 'path=/x' })).toEqual([]);
    expect(check({ plugin: 'powerflex', config: {}, url: 'powerflex://a:b@c/d' })).toEqual([]);
    expect(check({ plugin: 'powerflex', url: 7 })).toEqual([]);
  });

  describe('secrets', () => {
    // A plugin that breaks its promise and quotes what it was given.
    const manifest = { name: 'leaky', secretConfigKeys: ['password'], configSchema: class {} } as unknown as PluginManifest;
    const leaky: BackendPlugin = {
      manifest,
      parseConfig: (raw) => {
        const password = (raw as { password?: string }).password;
        throw new BackendError('invalid', 'config.invalid', 'x', {
          details: { violations: [{ field: 'password', rule: 'weak', message: `password ${password} is too weak` }] },
        });
      },
      parseUrl: (url) => {
        if (url.includes('crash')) throw new URIError(`URI malformed: ${url}`);
        return { password: new URL(url).password };
      },
      createDriver: () => {
        throw new Error('not used');
      },
    };
    const registry: PluginLookup = { plugins: [leaky], find: (name) => (name === 'leaky' ? leaky : undefined) };

    it('are taken out of what a plugin says about config', () => {
      const violations = check({ plugin: 'leaky', config: { password: 'p4ssw0rd!' } }, registry);
      expect(violations).toEqual([{ field: 'config.password', rule: 'weak', message: 'config.password *** is too weak' }]);
    });

    it('are taken out of what a plugin says about a URL, and an unexpected error is not quoted', () => {
      const fromUrl = check({ plugin: 'leaky', url: 'leaky://admin:p4ssw0rd!@host/x' }, registry);
      expect(JSON.stringify(fromUrl)).not.toContain('p4ssw0rd');
      const crashed = check({ plugin: 'leaky', url: 'leaky://admin:s3cr3t@host/crash' }, registry);
      expect(crashed).toEqual([{ field: 'url', rule: 'invalid', message: 'url cannot be read as a leaky pool URL' }]);
    });

    it('are never quoted by the registered plugins, whatever the mistake', () => {
      const cases: Record<string, unknown>[] = [
        { plugin: 'powerflex', url: 'powerflex://admin:Zq9-secret-pw@gw.example/pool1?protocol=ftp' },
        { plugin: 'powerflex', url: 'powerflex://admin:Zq9-secret-pw@/pool1' },
        { plugin: 'powerflex', config: { gatewayUrl: 'gw', username: 'admin', password: 'Zq9-secret-pw', storagePool: 'x'.repeat(40) } },
        { plugin: 'storpool', url: 'storpool://Zq9-secret-pw@sp.example:81/bad template' },
        { plugin: 'storpool', url: 'SP_API_HTTP=sp.example;SP_AUTH_TOKEN=Zq9-secret-pw;SP_TEMPLATE=' },
        { plugin: 'storpool', url: 'Zq9-secret-pw=1' },
        { plugin: 'storpool', config: { host: 'sp', authToken: 'Zq9-secret-pw with spaces', template: 'hdd' } },
        { plugin: 'linstor', url: 'linstor://Zq9-secret-pw@controller:3370/rg?bogus=1' },
        { plugin: 'linstor', url: 'linstor://Zq9-secret-pw%E0%A4%A@controller:3370/rg' },
        { plugin: 'linstor', config: { controllerUrl: 'http://Zq9-secret-pw@c:3370', resourceGroup: 'rg', token: 'Zq9-secret-pw' } },
      ];
      for (const settings of cases) {
        const violations = check(settings);
        expect(violations.length).toBeGreaterThan(0);
        expect(JSON.stringify(violations)).not.toContain('Zq9-secret-pw');
      }
    });
  });
});

it('uses the plugin SDK parser the registered plugins use', () => {
  // Guards the assumption above: parseConfigWith refuses with kind invalid and field violations.
  class Schema {}
  expect(() => parseConfigWith({ name: 'x', configSchema: Schema }, 'nope')).toThrow(expect.objectContaining({ kind: 'invalid' }));
});
