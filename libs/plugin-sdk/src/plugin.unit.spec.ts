import { IsInt, IsString, IsUrl, Max, Min } from 'class-validator';
import type { PrimaryStorageDriver } from './driver';
import { isBackendError } from './errors';
import type { PluginManifest } from './manifest';
import { createDriverFromConfig, parseConfigWith, redactConfig, type BackendPlugin } from './plugin';

class ArrayConfig {
  @IsUrl({ require_tld: false, protocols: ['https'] })
  gateway!: string;

  @IsString()
  password!: string;

  @IsInt()
  @Min(1)
  @Max(64)
  connections!: number;
}

const manifest = {
  name: 'array',
  configSchema: ArrayConfig,
  secretConfigKeys: ['password'],
} satisfies Pick<PluginManifest<ArrayConfig>, 'name' | 'configSchema' | 'secretConfigKeys'>;

const good = { gateway: 'https://gw.example:443', password: 'hunter2', connections: 8 };

function parseError(raw: unknown): unknown {
  try {
    parseConfigWith(manifest, raw);
  } catch (error) {
    return error;
  }
  throw new Error('expected parseConfigWith to throw');
}

describe('parseConfigWith', () => {
  it('returns an instance of the schema class for a valid config', () => {
    const config = parseConfigWith(manifest, good);
    expect(config).toBeInstanceOf(ArrayConfig);
    expect(config).toEqual(good);
  });

  it('names every bad field and rule, in the message and in details.violations', () => {
    const error = parseError({ gateway: 'ftp://gw', connections: 0 });
    expect(isBackendError(error)).toBe(true);
    if (!isBackendError(error)) return;
    expect(error.kind).toBe('invalid');
    expect(error.code).toBe('config.invalid');
    expect(error.details.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'gateway', rule: 'isUrl' }),
        expect.objectContaining({ field: 'password', rule: 'isString' }),
        expect.objectContaining({ field: 'connections', rule: 'min' }),
      ]),
    );
    expect(error.details.violations).toHaveLength(3);
    expect(error.message).toMatch(/^array config is invalid: /);
    expect(error.message).toContain('gateway: ');
    expect(error.message).toContain('(isUrl)');
    expect(error.message).toContain('connections: ');
    expect(error.message).toContain('(min)');
  });

  it('reports an unknown (misspelt) key instead of ignoring it', () => {
    const error = parseError({ ...good, pasword: 'x' });
    expect(isBackendError(error) && error.details.violations).toEqual([
      expect.objectContaining({ field: 'pasword', rule: 'whitelistValidation' }),
    ]);
  });

  it.each([null, 'gateway=x', [good], 42])('refuses a non-object config %j', (raw) => {
    const error = parseError(raw);
    expect(isBackendError(error) && error.details.violations).toEqual([
      { field: 'config', rule: 'isObject', message: 'config must be an object of settings' },
    ]);
  });

  it('never puts a config value into the error', () => {
    const error = parseError({ ...good, password: 12345678, connections: 'lots' });
    expect(JSON.stringify(isBackendError(error) && [error.message, error.details])).not.toMatch(/12345678|lots/);
  });
});

describe('redactConfig', () => {
  it('replaces each present secret with *** and leaves the rest and the original alone', () => {
    const redacted = redactConfig(manifest, good);
    expect(redacted).toEqual({ gateway: 'https://gw.example:443', password: '***', connections: 8 });
    expect(good.password).toBe('hunter2');
  });

  it('does not invent secrets that are absent, and works on raw config', () => {
    expect(redactConfig(manifest, { gateway: 'x' })).toEqual({ gateway: 'x' });
  });
});

describe('createDriverFromConfig', () => {
  it('parses with the plugin schema before building the driver', () => {
    const received: unknown[] = [];
    const plugin: BackendPlugin<ArrayConfig> = {
      manifest: manifest as unknown as PluginManifest<ArrayConfig>,
      parseConfig: (raw) => parseConfigWith(manifest, raw),
      createDriver: (config, context) => {
        received.push(config, context);
        return {} as PrimaryStorageDriver;
      },
    };
    createDriverFromConfig(plugin, good, { installationId: 'x7q2' });
    expect(received[0]).toBeInstanceOf(ArrayConfig);
    expect(received[1]).toEqual({ installationId: 'x7q2' });
    expect(() => createDriverFromConfig(plugin, {}, { installationId: 'x7q2' })).toThrow(/array config is invalid/);
  });
});
