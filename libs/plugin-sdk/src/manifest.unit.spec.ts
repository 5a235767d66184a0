import { IsString, IsUrl } from 'class-validator';
import { checkManifest, type PluginManifest } from './manifest';

class ArrayConfig {
  @IsUrl({ require_tld: false })
  gateway!: string;

  @IsString()
  password!: string;
}

class UndecoratedConfig {
  gateway = '';
}

const sound: PluginManifest<ArrayConfig> = {
  name: 'array',
  vendor: 'Acme',
  driverVersion: '2.1.0',
  roles: ['primary'],
  protocol: 'scaleio',
  scopes: ['zone', 'cluster'],
  hypervisors: ['kvm'],
  capabilities: {
    snapshot: true,
    revert: 'any',
    groupSnapshot: true,
    clone: true,
    resizeGrow: true,
    resizeShrink: false,
    qosIops: true,
    qosBandwidth: true,
    qosTiers: false,
    nativeMigration: true,
    thinProvisioning: true,
    thickProvisioning: true,
    overProvisioning: true,
    tags: false,
  },
  limits: {
    sizeGranularityBytes: 8 * 2 ** 30,
    minSizeBytes: 8 * 2 ** 30,
    maxSizeBytes: 1024 * 2 ** 40,
    maxNameLength: 31,
    snapshotsPerVolumeTree: 127,
  },
  naming: { volumePrefix: 'vol', qualifiers: ['poolKey', 'installationId'] },
  configSchema: ArrayConfig,
  secretConfigKeys: ['password'],
};

function withChanges(changes: Partial<PluginManifest<object>>): PluginManifest {
  return { ...sound, ...changes } as PluginManifest;
}

describe('checkManifest', () => {
  it('accepts a sound manifest', () => {
    expect(checkManifest(sound)).toEqual([]);
  });

  it.each<[string, Partial<PluginManifest<object>>, string]>([
    ['an upper-case name', { name: 'Array' }, "name 'Array' must match"],
    ['an empty vendor', { vendor: ' ' }, 'vendor must not be empty'],
    ['a non-semver version', { driverVersion: '2.1' }, "driverVersion '2.1' must be a semantic version"],
    ['no roles', { roles: [] }, 'roles must not be empty'],
    ['a repeated scope', { scopes: ['zone', 'zone'] }, 'scopes must not repeat a value'],
    ['an unknown hypervisor', { hypervisors: ['bhyve' as 'kvm'] }, "hypervisors 'bhyve' must be one of"],
    ['an unknown protocol', { protocol: 'smb' as 'nfs' }, "protocol 'smb' must be one of"],
    [
      'revert without snapshots',
      { capabilities: { ...sound.capabilities, snapshot: false, groupSnapshot: false } },
      'capabilities.revert requires capabilities.snapshot',
    ],
    [
      'over-provisioning without thin provisioning',
      { capabilities: { ...sound.capabilities, thinProvisioning: false } },
      'capabilities.overProvisioning requires capabilities.thinProvisioning',
    ],
    [
      'a min size off the granularity',
      { limits: { ...sound.limits, minSizeBytes: 2 ** 30 } },
      'limits.minSizeBytes must be a multiple of limits.sizeGranularityBytes',
    ],
    ['a zero granularity', { limits: { ...sound.limits, sizeGranularityBytes: 0 } }, 'limits.sizeGranularityBytes (0)'],
    [
      'a min size above the max',
      { limits: { ...sound.limits, maxSizeBytes: 8 * 2 ** 30, minSizeBytes: 16 * 2 ** 30 } },
      'limits.minSizeBytes must not exceed limits.maxSizeBytes',
    ],
    [
      'a snapshot limit of zero',
      { limits: { ...sound.limits, snapshotsPerVolumeTree: 0 } },
      'limits.snapshotsPerVolumeTree (0)',
    ],
    [
      'a name limit too short for any name',
      { limits: { ...sound.limits, maxNameLength: 20 } },
      'limits.maxNameLength 20 cannot hold even the shortest name',
    ],
    ['a bad name prefix', { naming: { volumePrefix: 'Vol-', qualifiers: [] } }, "naming.volumePrefix 'Vol-'"],
    ['a secret key the schema lacks', { secretConfigKeys: ['token'] }, "secretConfigKeys 'token' is not a validated field"],
    ['a schema without validation', { configSchema: UndecoratedConfig, secretConfigKeys: [] }, 'configSchema declares no validated fields'],
  ])('reports %s', (_label, changes, expected) => {
    const problems = checkManifest(withChanges(changes));
    expect(problems).toEqual([expect.stringContaining(expected)]);
  });
});
