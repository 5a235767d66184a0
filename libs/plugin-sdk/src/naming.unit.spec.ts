import { isBackendError } from './errors';
import type { PluginManifest } from './manifest';
import { assertBackendName, assertVolumeSize, backendVolumeName, poolKeyOf, roundUpToGranularity } from './naming';

type NamingManifest = Pick<PluginManifest, 'name' | 'naming' | 'limits'>;

const limits = {
  sizeGranularityBytes: 512,
  minSizeBytes: 512,
  maxSizeBytes: 2 ** 40,
  maxNameLength: 251,
  snapshotsPerVolumeTree: null,
};
const fileLike: NamingManifest = { name: 'file', naming: { volumePrefix: 'vol', qualifiers: [] }, limits };
const powerflexLike: NamingManifest = {
  name: 'powerflex',
  naming: { volumePrefix: 'vol', qualifiers: ['poolKey', 'installationId'] },
  limits: { ...limits, sizeGranularityBytes: 8 * 2 ** 30, minSizeBytes: 8 * 2 ** 30, maxNameLength: 31 },
};
const ids = {
  volumeId: '3F2504E0-4F89-41D3-9A0C-0305E82C3301',
  poolKey: '27cb',
  installationId: 'x7q2',
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('backendVolumeName', () => {
  it('names a file volume vol-<volumeId>, lower-cased', () => {
    expect(backendVolumeName(fileLike, ids)).toBe('vol-3f2504e0-4f89-41d3-9a0c-0305e82c3301');
  });

  it('fits PowerFlex vol-<id>-<pool key>-<installation id> into 31 characters', () => {
    const name = backendVolumeName(powerflexLike, ids);
    expect(name).toBe('vol-3f2504e04f8941d39-27cb-x7q2');
    expect(name).toHaveLength(31);
  });

  it('drops only the dashes when that is enough', () => {
    const roomy = { ...powerflexLike, limits: { ...powerflexLike.limits, maxNameLength: 46 } };
    expect(backendVolumeName(roomy, ids)).toBe('vol-3f2504e04f8941d39a0c0305e82c3301-27cb-x7q2');
  });

  it('is deterministic and tells different volumes apart', () => {
    const other = { ...ids, volumeId: '3f2504e0-4f89-41d3-9a0c-0305e82c3302' };
    expect(backendVolumeName(powerflexLike, ids)).toBe(backendVolumeName(powerflexLike, { ...ids }));
    expect(backendVolumeName(fileLike, other)).not.toBe(backendVolumeName(fileLike, ids));
  });

  it('refuses when the limit leaves fewer than 16 characters for the id', () => {
    const tight = { ...powerflexLike, limits: { ...powerflexLike.limits, maxNameLength: 29 } };
    const error = thrown(() => backendVolumeName(tight, ids));
    expect(isBackendError(error) && error.kind).toBe('invalid');
    expect(isBackendError(error) && error.message).toContain('leaves 15 characters');
  });

  it.each([
    ['a slash in the volume id', { ...ids, volumeId: '../etc/passwd' }, 'volumeId'],
    ['an empty pool key', { ...ids, poolKey: '' }, 'poolKey'],
    ['a dot in the installation id', { ...ids, installationId: 'a.b' }, 'installationId'],
  ])('refuses %s, naming the field', (_label, badIds, field) => {
    const error = thrown(() => backendVolumeName(powerflexLike, badIds));
    expect(isBackendError(error) && error.details.violations).toEqual([
      expect.objectContaining({ field, rule: 'idShape' }),
    ]);
  });
});

describe('roundUpToGranularity', () => {
  it.each([
    [0, 512, 0],
    [1, 512, 512],
    [512, 512, 512],
    [513, 512, 1024],
    [2 ** 30, 8 * 2 ** 30, 8 * 2 ** 30],
    [8 * 2 ** 30 + 1, 8 * 2 ** 30, 16 * 2 ** 30],
  ])('rounds %d up to a multiple of %d: %d', (bytes, granularity, expected) => {
    expect(roundUpToGranularity(bytes, granularity)).toBe(expected);
  });

  it.each([
    [-1, 512, 'nonNegativeInteger'],
    [1.5, 512, 'nonNegativeInteger'],
    [1, 0, 'positiveInteger'],
    [Number.MAX_SAFE_INTEGER, 2 ** 30, 'safeInteger'],
  ])('refuses %d with granularity %d (%s)', (bytes, granularity, rule) => {
    const error = thrown(() => roundUpToGranularity(bytes, granularity));
    expect(isBackendError(error) && error.details.violations?.[0]?.rule).toBe(rule);
  });
});

describe('assertVolumeSize', () => {
  it('accepts an aligned size within the limits', () => {
    expect(() => assertVolumeSize(powerflexLike, 16 * 2 ** 30)).not.toThrow();
  });

  it.each([
    [0, 'positiveInteger'],
    [2 ** 30, 'sizeGranularityBytes'],
    [2 ** 41, 'maxSizeBytes'],
  ])('refuses %d (%s)', (size, rule) => {
    const error = thrown(() => assertVolumeSize(powerflexLike, size));
    expect(isBackendError(error) && error.kind).toBe('invalid');
    expect(isBackendError(error) && error.details.violations?.[0]?.rule).toBe(rule);
  });

  it('refuses a size below the minimum', () => {
    const big = { limits: { ...limits, minSizeBytes: 1024 } };
    const error = thrown(() => assertVolumeSize(big, 512));
    expect(isBackendError(error) && error.details.violations?.[0]?.rule).toBe('minSizeBytes');
  });
});

describe('assertBackendName', () => {
  it('accepts a generated name', () => {
    expect(() => assertBackendName(fileLike, backendVolumeName(fileLike, ids))).not.toThrow();
  });

  it.each([
    ['../x', 'backendNameShape'],
    ['a/b', 'backendNameShape'],
    ['.hidden', 'backendNameShape'],
    ['', 'backendNameShape'],
    ['v'.repeat(252), 'maxNameLength'],
  ])('refuses %j (%s)', (name, rule) => {
    const error = thrown(() => assertBackendName(fileLike, name));
    expect(isBackendError(error) && error.details.violations).toEqual([expect.objectContaining({ field: 'name', rule })]);
  });
});

describe('poolKeyOf', () => {
  it('picks characters 5-8 of the pool UUID, as the PowerFlex spec does', () => {
    expect(poolKeyOf('fd5227cb-5538-4fef-8427-4aa97786ccbc')).toBe('27cb');
  });
  it('refuses an id too short to give a key', () => {
    expect(() => poolKeyOf('abc')).toThrow(/poolKey/);
  });
});
