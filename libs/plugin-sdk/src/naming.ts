import { BackendError, BackendErrorCode } from './errors';
import { MIN_VOLUME_ID_CHARS, type NameQualifier, type PluginManifest } from './manifest';

/**
 * Names and sizes: the two things a retried backend call must reproduce
 * exactly, so that it finds what a crashed attempt made instead of making a
 * second object. Both are pure functions of our ids and the manifest.
 */

export interface VolumeNameIds {
  /** Our volume aggregate id (a UUID). */
  readonly volumeId: string;
  /** Short key of the pool, unique among pools sharing one backend (PowerFlex: 4 chars of the pool UUID). */
  readonly poolKey: string;
  /** Short id of this Strata installation, unique among installations sharing one backend. */
  readonly installationId: string;
}

/** Letters and digits in dash-separated groups: safe as a file name and in every vendor's API. */
const ID_SHAPE = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

/**
 * The backend name of a volume: `<prefix>-<volumeId>[-<qualifier>...]`, e.g.
 * `vol-<uuid>` for the file backend or `vol-<id>-<pool key>-<installation id>`
 * for PowerFlex. When that is longer than the backend allows, the volume id is
 * shortened deterministically: first its dashes go, then it is cut to the
 * room left (never below 16 characters, i.e. 64 bits of a UUID, so that names
 * stay unique in practice and an operator can still find the volume by the
 * id's prefix). Ids are lower-cased because UUIDs are case-insensitive.
 */
export function backendVolumeName(
  manifest: Pick<PluginManifest, 'name' | 'naming' | 'limits'>,
  ids: VolumeNameIds,
): string {
  return backendObjectName(manifest, manifest.naming.volumePrefix, ids);
}

/** Object kinds besides volumes, with the prefixes CloudStack's plugins use. */
export const OBJECT_PREFIXES = { snapshot: 'snap', groupSnapshot: 'vmsnap', template: 'tmpl' } as const;

/**
 * The backend name of a snapshot, a VM (group) snapshot or a cached template: the same
 * rules as volumes (qualifiers, length), with our id of that object in place of the
 * volume id: `snap-<snapshotId>-<pool key>-<installation id>` on PowerFlex.
 */
export function backendObjectName(
  manifest: Pick<PluginManifest, 'name' | 'naming' | 'limits'>,
  prefix: string,
  ids: VolumeNameIds,
): string {
  const volumePrefix = prefix;
  const { qualifiers } = manifest.naming;
  const volumeId = checkedId('volumeId', ids.volumeId);
  const tail = qualifiers.map((qualifier: NameQualifier) => checkedId(qualifier, ids[qualifier]));

  const fixedLength = volumePrefix.length + 1 + tail.reduce((sum, part) => sum + 1 + part.length, 0);
  const room = manifest.limits.maxNameLength - fixedLength;
  let idPart = volumeId;
  if (idPart.length > room) idPart = idPart.replace(/-/g, '');
  if (idPart.length > room) {
    if (room < MIN_VOLUME_ID_CHARS) {
      throw new BackendError(
        'invalid',
        BackendErrorCode.NameInvalid,
        `cannot name volume ${ids.volumeId} for plugin '${manifest.name}': maxNameLength ` +
          `${manifest.limits.maxNameLength} leaves ${room} characters for the volume id, ` +
          `at least ${MIN_VOLUME_ID_CHARS} are needed to keep names unique`,
        { details: { violations: [{ field: 'volumeId', rule: 'maxNameLength', message: 'no room for the volume id' }] } },
      );
    }
    idPart = idPart.slice(0, room);
  }
  return [volumePrefix, idPart, ...tail].join('-');
}

function checkedId(field: string, value: string): string {
  if (!ID_SHAPE.test(value)) {
    throw new BackendError(
      'invalid',
      BackendErrorCode.NameInvalid,
      `${field} '${value}' must be letters and digits in dash-separated groups (idShape)`,
      { details: { violations: [{ field, rule: 'idShape', message: `${field} must match ${ID_SHAPE}` }] } },
    );
  }
  return value.toLowerCase();
}

/**
 * The smallest multiple of granularity that holds bytes (PowerFlex: 1 GiB
 * becomes 8 GiB). Callers round before recording the size, so that the event
 * and the backend agree on it.
 */
export function roundUpToGranularity(bytes: number, granularity: number): number {
  if (!Number.isSafeInteger(granularity) || granularity <= 0) {
    throw sizeError('granularity', 'positiveInteger', `granularity (${granularity}) must be a positive integer`);
  }
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw sizeError('sizeBytes', 'nonNegativeInteger', `sizeBytes (${bytes}) must be a non-negative integer`);
  }
  const remainder = bytes % granularity;
  const rounded = remainder === 0 ? bytes : bytes + (granularity - remainder);
  if (!Number.isSafeInteger(rounded)) {
    throw sizeError('sizeBytes', 'safeInteger', `sizeBytes (${bytes}) rounded up to ${granularity} exceeds 2^53`);
  }
  return rounded;
}

/**
 * Refuses a size the backend would reject or silently change: drivers call it
 * first, so that a bad size fails as 'invalid' naming the broken limit rather
 * than as an obscure vendor error.
 */
export function assertVolumeSize(manifest: Pick<PluginManifest, 'limits'>, sizeBytes: number): void {
  const { sizeGranularityBytes, minSizeBytes, maxSizeBytes } = manifest.limits;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
    throw sizeError('sizeBytes', 'positiveInteger', `sizeBytes (${sizeBytes}) must be a positive integer`);
  }
  if (sizeBytes % sizeGranularityBytes !== 0) {
    throw sizeError(
      'sizeBytes',
      'sizeGranularityBytes',
      `sizeBytes (${sizeBytes}) must be a multiple of ${sizeGranularityBytes}; round it up first`,
    );
  }
  if (sizeBytes < minSizeBytes) {
    throw sizeError('sizeBytes', 'minSizeBytes', `sizeBytes (${sizeBytes}) must be at least ${minSizeBytes}`);
  }
  if (sizeBytes > maxSizeBytes) {
    throw sizeError('sizeBytes', 'maxSizeBytes', `sizeBytes (${sizeBytes}) must be at most ${maxSizeBytes}`);
  }
}

function sizeError(field: string, rule: string, message: string): BackendError {
  return new BackendError('invalid', BackendErrorCode.SizeInvalid, `${message} (${rule})`, {
    details: { violations: [{ field, rule, message }] },
  });
}

/** Characters any backend accepts in a name; a leading dot or dash is refused (hidden files, CLI flags). */
const BACKEND_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Refuses a name a driver must not pass on: too long for the backend, or with
 * characters that could escape a directory or a URL path segment.
 */
export function assertBackendName(manifest: Pick<PluginManifest, 'limits'>, name: string): void {
  const max = manifest.limits.maxNameLength;
  let rule: string | undefined;
  let message = '';
  if (!BACKEND_NAME.test(name)) {
    rule = 'backendNameShape';
    message = `name '${name}' must start with a letter or digit and contain only letters, digits, '.', '_' and '-'`;
  } else if (name.length > max) {
    rule = 'maxNameLength';
    message = `name '${name}' is ${name.length} characters long, the backend allows at most ${max}`;
  }
  if (rule !== undefined) {
    throw new BackendError('invalid', BackendErrorCode.NameInvalid, `${message} (${rule})`, {
      details: { violations: [{ field: 'name', rule, message }] },
    });
  }
}

/**
 * The short pool key that goes into backend names on shared backends: characters 5-8 of
 * the pool UUID, as the PowerFlex plugin spec picks them (fd52[27cb]-5538-...).
 */
export function poolKeyOf(poolId: string): string {
  const key = poolId.replace(/-/g, '').slice(4, 8).toLowerCase();
  if (!/^[0-9a-z]{4}$/.test(key)) {
    throw new BackendError('invalid', BackendErrorCode.NameInvalid, `pool id '${poolId}' gives no 4-character pool key (poolKey)`, {
      details: { violations: [{ field: 'poolId', rule: 'poolKey', message: 'pool id must be a UUID' }] },
    });
  }
  return key;
}
