import { backendPlugins } from '@strata/backends';
import { IsInt, IsOptional, IsString, Matches, Max, Min, parseConfigWith, type BackendPlugin } from '@strata/plugin-sdk';
import { describeConfig, describePlugin, type PluginDescription } from './plugin-description';

const described = (name: string): PluginDescription => describePlugin(backendPlugins.find((p) => p.manifest.name === name) as BackendPlugin);
const parameter = (plugin: string, name: string) => described(plugin).configParameters.find((p) => p.name === name);

describe('plugin description', () => {
  it('describes every registered plugin from its manifest, as plain JSON', () => {
    for (const plugin of backendPlugins) {
      const description = describePlugin(plugin);
      const { manifest } = plugin;
      expect(description).toMatchObject({
        name: manifest.name,
        vendor: manifest.vendor,
        driverVersion: manifest.driverVersion,
        roles: manifest.roles,
        protocol: manifest.protocol,
        scopes: manifest.scopes,
        hypervisors: manifest.hypervisors,
        capabilities: manifest.capabilities,
        limits: manifest.limits,
        naming: manifest.naming,
        acceptsUrl: typeof plugin.parseUrl === 'function',
      });
      expect(description).not.toHaveProperty('configSchema');
      expect(description).not.toHaveProperty('urlForm');
      expect(description.configParameters.length).toBeGreaterThan(0);
      expect(JSON.parse(JSON.stringify(description))).toEqual(description);
    }
    expect(backendPlugins.map((p) => describePlugin(p).name)).toEqual(expect.arrayContaining(['file', 'powerflex', 'linstor', 'storpool']));
  });

  it('lists every validated field of the config class, inherited ones included', () => {
    expect(described('file').configParameters.map((p) => p.name)).toEqual(['path']);
    expect(described('storpool').configParameters.map((p) => p.name)).toEqual(expect.arrayContaining(['host', 'port', 'authToken', 'template', 'timeoutMs']));
  });

  it("flags the manifest's secret keys, and only them", () => {
    for (const plugin of backendPlugins) {
      const secret = describePlugin(plugin).configParameters.filter((p) => p.secret).map((p) => p.name);
      expect(secret.sort()).toEqual([...plugin.manifest.secretConfigKeys].sort());
    }
    expect(parameter('powerflex', 'password')?.secret).toBe(true);
    expect(parameter('storpool', 'authToken')?.secret).toBe(true);
    expect(parameter('linstor', 'token')?.secret).toBe(true);
    expect(parameter('storpool', 'host')?.secret).toBe(false);
  });

  it('shows a required field as required and an optional one as optional', () => {
    expect(parameter('file', 'path')).toMatchObject({ required: true, type: 'string' });
    expect(parameter('storpool', 'template')?.required).toBe(true);
    expect(parameter('storpool', 'port')?.required).toBe(false);
    expect(parameter('linstor', 'token')?.required).toBe(false);
  });

  it('gives each rule with its constraints and message, in declaration order', () => {
    expect(parameter('storpool', 'port')).toEqual({
      name: 'port',
      type: 'integer',
      required: false,
      secret: false,
      rules: [
        { rule: 'isInt', constraints: [], message: 'port must be an integer number' },
        { rule: 'min', constraints: [1], message: 'port must not be less than 1' },
        { rule: 'max', constraints: [65535], message: 'port must not be greater than 65535' },
      ],
    });
    expect(parameter('file', 'path')?.rules.map((r) => r.rule)).toEqual(['isString', 'isAbsolutePath']);
    expect(parameter('linstor', 'cloneMode')).toMatchObject({ type: 'string', rules: [{ rule: 'isIn', constraints: [['snapshot', 'copy']] }] });
    expect(parameter('linstor', 'dataMoverHosts')?.rules).toContainEqual(expect.objectContaining({ rule: 'matches', each: true }));
  });

  it('names the same rules, with the same messages, that a 400 names', () => {
    const storpool = backendPlugins.find((p) => p.manifest.name === 'storpool') as BackendPlugin;
    let violations: readonly { field: string; rule: string; message: string }[] = [];
    try {
      parseConfigWith(storpool.manifest, { host: 'sp', authToken: 't', template: 'hdd', port: 0 });
    } catch (error) {
      violations = (error as { details: { violations: typeof violations } }).details.violations;
    }
    expect(violations).toEqual([{ field: 'port', rule: 'min', message: 'port must not be less than 1' }]);
    expect(parameter('storpool', 'port')?.rules).toContainEqual({ rule: 'min', constraints: [1], message: violations[0].message });
  });

  it('writes regular expressions as /source/flags and fills in message tokens', () => {
    class Schema {
      @Matches(/^[a-z]+$/i)
      @IsString()
      name!: string;

      @IsOptional()
      @IsInt()
      @Min(0)
      @Max(9, { message: '$property is at most $constraint1' })
      level?: number;
    }
    expect(describeConfig(Schema, [])).toEqual([
      {
        name: 'name',
        type: 'string',
        required: true,
        secret: false,
        rules: [
          { rule: 'matches', constraints: ['/^[a-z]+$/i'], message: 'name must match /^[a-z]+$/i regular expression' },
          { rule: 'isString', constraints: [], message: 'name must be a string' },
        ],
      },
      {
        name: 'level',
        type: 'integer',
        required: false,
        secret: false,
        rules: [
          { rule: 'isInt', constraints: [], message: 'level must be an integer number' },
          { rule: 'min', constraints: [0], message: 'level must not be less than 0' },
          { rule: 'max', constraints: [9], message: 'level is at most 9' },
        ],
      },
    ]);
  });
});
