import { getMetadataStorage } from 'class-validator';

/**
 * What a plugin declares about itself, statically. The storage service reads
 * it to refuse operations a backend cannot do, to round sizes and shape names,
 * and the API shows it so that an admin knows what to enter. Plain data (plus
 * the config class) so that it can be serialised for the API.
 */

export const PLUGIN_ROLES = ['primary', 'image', 'backup'] as const;
export type PluginRole = (typeof PLUGIN_ROLES)[number];

/** Where a pool of this plugin may be attached: a whole zone, one cluster, or one host. */
export const PLUGIN_SCOPES = ['zone', 'cluster', 'host'] as const;
export type PluginScope = (typeof PLUGIN_SCOPES)[number];

export const HYPERVISORS = ['kvm', 'vmware', 'xenserver', 'hyperv', 'lxc'] as const;
export type Hypervisor = (typeof HYPERVISORS)[number];

/** How a host reaches a volume's data (Cinder's storage_protocol). */
export const STORAGE_PROTOCOLS = ['file', 'nfs', 'iscsi', 'fc', 'scaleio', 'drbd', 'storpool'] as const;
export type StorageProtocol = (typeof STORAGE_PROTOCOLS)[number];

/** Which snapshot a volume can be reverted to: any of them, only the newest, or none. */
export const REVERT_SUPPORT = ['any', 'latest', 'none'] as const;
export type RevertSupport = (typeof REVERT_SUPPORT)[number];

export interface PluginCapabilities {
  readonly snapshot: boolean;
  readonly revert: RevertSupport;
  readonly groupSnapshot: boolean;
  readonly clone: boolean;
  readonly resizeGrow: boolean;
  readonly resizeShrink: boolean;
  readonly qosIops: boolean;
  readonly qosBandwidth: boolean;
  /** Named QoS tiers enforced by the backend itself (StorPool qc tags). */
  readonly qosTiers: boolean;
  /** Moves volumes between pools of one backend cluster without copying through a host. */
  readonly nativeMigration: boolean;
  readonly thinProvisioning: boolean;
  /** Makes fully allocated volumes when asked (createVolume with thin: false); placement sends thick requests only here. */
  readonly thickProvisioning: boolean;
  /** Allocation may exceed physical capacity by the pool's over-provisioning factor. */
  readonly overProvisioning: boolean;
  /** Volumes carry key/value tags on the backend (StorPool tags, LINSTOR Aux/ props). */
  readonly tags: boolean;
}

export interface PluginLimits {
  /** Every volume size must be a multiple of this; callers round up with roundUpToGranularity. */
  readonly sizeGranularityBytes: number;
  readonly minSizeBytes: number;
  readonly maxSizeBytes: number;
  /** Longest backend object name the backend accepts. */
  readonly maxNameLength: number;
  /** Snapshots one volume (with its clones) may have; null when unlimited. */
  readonly snapshotsPerVolumeTree: number | null;
}

/** Ids that may follow the volume id in a backend name. */
export const NAME_QUALIFIERS = ['poolKey', 'installationId'] as const;
export type NameQualifier = (typeof NAME_QUALIFIERS)[number];

/**
 * How backend names are composed: `<volumePrefix>-<volumeId>[-<qualifier>...]`.
 * A backend shared by several pools or installations (PowerFlex) adds
 * qualifiers so that their names cannot collide; see backendVolumeName.
 */
export interface NamingStrategy {
  readonly volumePrefix: string;
  readonly qualifiers: readonly NameQualifier[];
}

export interface PluginManifest<Config extends object = object> {
  /** Registry key and the plugin name pools refer to; lower-case, stable forever. */
  readonly name: string;
  readonly vendor: string;
  /** Semantic version of the driver code; bump it with every behaviour change. */
  readonly driverVersion: string;
  readonly roles: readonly PluginRole[];
  readonly protocol: StorageProtocol;
  readonly scopes: readonly PluginScope[];
  readonly hypervisors: readonly Hypervisor[];
  readonly capabilities: PluginCapabilities;
  readonly limits: PluginLimits;
  readonly naming: NamingStrategy;
  /** class-validator class describing the pool configuration an admin enters. */
  readonly configSchema: new () => Config;
  /**
   * Config keys holding credentials: redacted wherever config is shown or
   * logged. Plain strings (not keyof Config) so that manifests of different
   * plugins fit one registry list; checkManifest verifies they are schema fields.
   */
  readonly secretConfigKeys: readonly string[];
}

/** Shortest volume-id part a name may be cut to: 16 hex digits of a UUID are 64 bits. */
export const MIN_VOLUME_ID_CHARS = 16;

const PLUGIN_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const NAME_PREFIX = /^[a-z][a-z0-9]*$/;

/**
 * Every way the manifest is malformed, one readable sentence each; empty when
 * it is sound. Used by the registry test and the conformance suite so that a
 * new plugin cannot ship a manifest the services would misread.
 */
export function checkManifest(manifest: PluginManifest): string[] {
  const problems: string[] = [];
  const { capabilities: caps, limits, naming } = manifest;

  if (!PLUGIN_NAME.test(manifest.name)) {
    problems.push(`name '${manifest.name}' must match ${PLUGIN_NAME}`);
  }
  if (manifest.vendor.trim() === '') problems.push('vendor must not be empty');
  if (!SEMVER.test(manifest.driverVersion)) {
    problems.push(`driverVersion '${manifest.driverVersion}' must be a semantic version (1.2.3)`);
  }
  checkSet(problems, 'roles', manifest.roles, PLUGIN_ROLES);
  checkSet(problems, 'scopes', manifest.scopes, PLUGIN_SCOPES);
  checkSet(problems, 'hypervisors', manifest.hypervisors, HYPERVISORS);
  if (!(STORAGE_PROTOCOLS as readonly string[]).includes(manifest.protocol)) {
    problems.push(`protocol '${manifest.protocol}' must be one of ${STORAGE_PROTOCOLS.join(', ')}`);
  }

  for (const key of [
    'snapshot',
    'groupSnapshot',
    'clone',
    'resizeGrow',
    'resizeShrink',
    'qosIops',
    'qosBandwidth',
    'qosTiers',
    'nativeMigration',
    'thinProvisioning',
    'thickProvisioning',
    'overProvisioning',
    'tags',
  ] as const) {
    if (typeof caps[key] !== 'boolean') problems.push(`capabilities.${key} must be a boolean`);
  }
  if (!(REVERT_SUPPORT as readonly string[]).includes(caps.revert)) {
    problems.push(`capabilities.revert '${caps.revert}' must be one of ${REVERT_SUPPORT.join(', ')}`);
  }
  // Capabilities that only make sense on top of another one.
  if (caps.revert !== 'none' && !caps.snapshot) problems.push('capabilities.revert requires capabilities.snapshot');
  if (caps.groupSnapshot && !caps.snapshot) problems.push('capabilities.groupSnapshot requires capabilities.snapshot');
  if (caps.overProvisioning && !caps.thinProvisioning) {
    problems.push('capabilities.overProvisioning requires capabilities.thinProvisioning');
  }

  const granularity = limits.sizeGranularityBytes;
  checkPositiveInteger(problems, 'limits.sizeGranularityBytes', granularity);
  checkPositiveInteger(problems, 'limits.minSizeBytes', limits.minSizeBytes);
  checkPositiveInteger(problems, 'limits.maxSizeBytes', limits.maxSizeBytes);
  checkPositiveInteger(problems, 'limits.maxNameLength', limits.maxNameLength);
  if (limits.snapshotsPerVolumeTree !== null) {
    checkPositiveInteger(problems, 'limits.snapshotsPerVolumeTree', limits.snapshotsPerVolumeTree);
  }
  if (limits.minSizeBytes > limits.maxSizeBytes) {
    problems.push('limits.minSizeBytes must not exceed limits.maxSizeBytes');
  }
  if (Number.isSafeInteger(granularity) && granularity > 0) {
    if (limits.minSizeBytes % granularity !== 0) {
      problems.push('limits.minSizeBytes must be a multiple of limits.sizeGranularityBytes');
    }
    if (limits.maxSizeBytes % granularity !== 0) {
      problems.push('limits.maxSizeBytes must be a multiple of limits.sizeGranularityBytes');
    }
  }

  if (!NAME_PREFIX.test(naming.volumePrefix)) {
    problems.push(`naming.volumePrefix '${naming.volumePrefix}' must match ${NAME_PREFIX}`);
  }
  checkSet(problems, 'naming.qualifiers', naming.qualifiers, NAME_QUALIFIERS, true);
  // Every qualifier is at least one character plus its dash.
  const shortest = naming.volumePrefix.length + 1 + MIN_VOLUME_ID_CHARS + 2 * naming.qualifiers.length;
  if (shortest > limits.maxNameLength) {
    problems.push(`limits.maxNameLength ${limits.maxNameLength} cannot hold even the shortest name (${shortest} characters)`);
  }

  if (typeof manifest.configSchema !== 'function') {
    problems.push('configSchema must be a class-validator class');
  } else {
    const fields = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(manifest.configSchema, '', true, false)
        .map((m) => m.propertyName),
    );
    if (fields.size === 0) problems.push('configSchema declares no validated fields');
    for (const key of manifest.secretConfigKeys) {
      if (!fields.has(key)) problems.push(`secretConfigKeys '${key}' is not a validated field of configSchema`);
    }
  }
  if (new Set(manifest.secretConfigKeys).size !== manifest.secretConfigKeys.length) {
    problems.push('secretConfigKeys must not repeat a key');
  }
  return problems;
}

function checkSet(
  problems: string[],
  field: string,
  values: readonly string[],
  allowed: readonly string[],
  mayBeEmpty = false,
): void {
  if (!mayBeEmpty && values.length === 0) problems.push(`${field} must not be empty`);
  if (new Set(values).size !== values.length) problems.push(`${field} must not repeat a value`);
  for (const value of values) {
    if (!allowed.includes(value)) problems.push(`${field} '${value}' must be one of ${allowed.join(', ')}`);
  }
}

function checkPositiveInteger(problems: string[], field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${field} (${value}) must be a positive integer`);
}
