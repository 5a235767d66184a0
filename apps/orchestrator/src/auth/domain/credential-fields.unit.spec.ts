import { backupTargetCredentialField, credentialFieldOf, poolCredentialField, urlCarriesCredential } from './credential-fields';

const secretKeys: Record<string, readonly string[]> = { powerflex: ['password'], storpool: ['authToken'], file: [] };
const secretKeysOf = (plugin: unknown) => (typeof plugin === 'string' && plugin in secretKeys ? secretKeys[plugin] : ['password', 'authToken']);

describe('credential detection', () => {
  it.each([
    ['powerflex://admin:secret@gateway.example/pool1', true],
    ['storpool://Tk-9f3k2@sp.example:81/nvme', true],
    ['SP_API_HTTP=sp.example:81;SP_AUTH_TOKEN=Tk-9f3k2;SP_TEMPLATE=nvme', true],
    ['linstor://token@controller:3370/rg1', true],
    ['https://gateway.example/api?token=abc', true],
    ['linstor://controller:3370/rg1', false],
    ['SP_API_HTTP=sp.example:81;SP_TEMPLATE=nvme', false],
    ['https://gateway.example/pool?name=x', false],
    ['http://host/path/with@sign', false],
  ])('reads %s as carrying a credential: %s', (url, carries) => {
    expect(urlCarriesCredential(url)).toBe(carries);
  });

  it('names the pool URL or the secret config key of the plugin', () => {
    expect(poolCredentialField({ plugin: 'powerflex', url: 'powerflex://admin:secret@gw/pool1' }, secretKeysOf)).toBe('url');
    expect(poolCredentialField({ plugin: 'storpool', config: { host: 'sp', authToken: 'x', template: 't' } }, secretKeysOf)).toBe('config.authToken');
    expect(poolCredentialField({ plugin: 'file', config: { path: '/srv/pool' } }, secretKeysOf)).toBeNull();
    // A key secret for another plugin only is no credential of this one.
    expect(poolCredentialField({ plugin: 'storpool', config: { password: 'x' } }, secretKeysOf)).toBeNull();
  });

  it("judges a body naming an unknown plugin (or none) by every plugin's secret keys", () => {
    expect(poolCredentialField({ plugin: 'nfs', config: { password: 'x' } }, secretKeysOf)).toBe('config.password');
    expect(poolCredentialField({ config: { authToken: 'x' } }, secretKeysOf)).toBe('config.authToken');
  });

  it('finds none in bodies without credentials or that are not objects', () => {
    for (const body of [undefined, null, 'url', [1], { name: 'fast' }, { config: null }, { url: 42 }]) expect(poolCredentialField(body, secretKeysOf)).toBeNull();
  });

  it('takes every s3 backup target as carrying its secret key, a directory as not', () => {
    expect(backupTargetCredentialField({ kind: 's3', s3: {} })).toBe('s3.secretAccessKey');
    expect(backupTargetCredentialField({ kind: 'directory', directory: { path: '/b' } })).toBeNull();
    expect(credentialFieldOf('backup-target', { kind: 's3' }, secretKeysOf)).toBe('s3.secretAccessKey');
    expect(credentialFieldOf('pool', { plugin: 'storpool', config: { authToken: 't' } }, secretKeysOf)).toBe('config.authToken');
  });
});
