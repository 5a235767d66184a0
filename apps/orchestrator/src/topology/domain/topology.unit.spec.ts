import {
  clusterKeyString,
  compareClusterKeys,
  compareZoneKeys,
  decodeClusterCursor,
  decodeZoneCursor,
  emptyZone,
  encodeKeyCursor,
  mergeKeys,
  summarize,
  type ZoneSummary,
} from './topology';

describe('topology', () => {
  it('merges the tables\' sorted keys into one distinct, ordered, limited list', () => {
    const z = (zoneId: string) => ({ zoneId });
    expect(mergeKeys([[z('a'), z('c')], [z('b'), z('c')], [z('a'), z('d')]], compareZoneKeys, 3)).toEqual([z('a'), z('b'), z('c')]);
    expect(mergeKeys([[], []], compareZoneKeys, 3)).toEqual([]);
  });

  it('orders clusters zone by zone', () => {
    const keys = [
      { clusterId: 'a', zoneId: 'z2' },
      { clusterId: 'b', zoneId: 'z1' },
      { clusterId: 'a', zoneId: 'z1' },
    ];
    expect(mergeKeys([keys], compareClusterKeys, 10)).toEqual([keys[2], keys[1], keys[0]]);
  });

  it('round-trips cursors and refuses the other kind', () => {
    expect(decodeZoneCursor(encodeKeyCursor({ zoneId: 'zone-1' }))).toEqual({ zoneId: 'zone-1' });
    expect(decodeClusterCursor(encodeKeyCursor({ clusterId: 'c', zoneId: 'z' }))).toEqual({ clusterId: 'c', zoneId: 'z' });
    expect(decodeZoneCursor(encodeKeyCursor({ clusterId: 'c', zoneId: 'z' }))).toBeUndefined();
    expect(decodeClusterCursor(encodeKeyCursor({ zoneId: 'z' }))).toBeUndefined();
    expect(decodeZoneCursor('%%%')).toBeUndefined();
  });

  it('sums partial summaries per key, keys without rows stay empty', () => {
    const items = summarize(
      [{ zoneId: 'a' }, { zoneId: 'b' }],
      (k) => emptyZone(k.zoneId),
      (k) => k.zoneId,
      [new Map<string, Partial<ZoneSummary>>([['a', { pools: 2, capacityBytes: 10 }]]), new Map<string, Partial<ZoneSummary>>([['a', { hosts: 1 }]])],
    );
    expect(items).toEqual([{ ...emptyZone('a'), pools: 2, capacityBytes: 10, hosts: 1 }, emptyZone('b')]);
    expect(clusterKeyString({ clusterId: 'c', zoneId: 'z' })).not.toBe(clusterKeyString({ clusterId: 'z', zoneId: 'c' }));
  });
});
