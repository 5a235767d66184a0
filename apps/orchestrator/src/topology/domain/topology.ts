/**
 * Zones and clusters are no aggregate of their own: they are the ids pools, hosts and image
 * stores name. A zone is listed once anything named it (counts are of the live ones, so a
 * zone whose pools were all deleted shows zeros); a cluster is a (cluster id, zone) pair a
 * pool or host named. Pure: the keys' merge, the cursors and the summaries.
 */

export interface ZoneKey {
  readonly zoneId: string;
}

export interface ClusterKey {
  readonly clusterId: string;
  readonly zoneId: string;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const compareZoneKeys = (a: ZoneKey, b: ZoneKey) => compare(a.zoneId, b.zoneId);
/** Clusters run zone by zone: one index (zone_id, cluster_id) serves the whole list and one zone's. */
export const compareClusterKeys = (a: ClusterKey, b: ClusterKey) => compare(a.zoneId, b.zoneId) || compare(a.clusterId, b.clusterId);

/** The first `limit` distinct keys of several sorted lists (each table's next keys), in order. */
export function mergeKeys<K>(lists: readonly (readonly K[])[], order: (a: K, b: K) => number, limit: number): K[] {
  const all = lists.flat().sort(order);
  const out: K[] = [];
  for (const key of all) {
    if (out.length > 0 && order(out[out.length - 1], key) === 0) continue;
    out.push(key);
    if (out.length === limit) break;
  }
  return out;
}

/** Opaque (base64url JSON), as every cursor: the last key of the page. */
export function encodeKeyCursor(key: ZoneKey | ClusterKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 128;

function parse(cursor: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]{1,600}$/.test(cursor)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function decodeZoneCursor(cursor: string): ZoneKey | undefined {
  const p = parse(cursor);
  return p && isId(p.zoneId) && !('clusterId' in p) ? { zoneId: p.zoneId } : undefined;
}

export function decodeClusterCursor(cursor: string): ClusterKey | undefined {
  const p = parse(cursor);
  return p && isId(p.clusterId) && isId(p.zoneId) ? { clusterId: p.clusterId, zoneId: p.zoneId } : undefined;
}

/** What a zone holds: live pools (their capacity), registered hosts, active image stores, clusters. */
export interface ZoneSummary {
  readonly id: string;
  readonly pools: number;
  readonly hosts: number;
  readonly imageStores: number;
  readonly clusters: number;
  readonly capacityBytes: number;
  readonly usedBytes: number;
  readonly allocatedBytes: number;
  readonly imageStoreCapacityBytes: number;
  readonly imageStoreFreeBytes: number;
}

export interface ClusterSummary {
  readonly id: string;
  readonly zoneId: string;
  readonly pools: number;
  readonly hosts: number;
  readonly capacityBytes: number;
  readonly usedBytes: number;
  readonly allocatedBytes: number;
}

export const emptyZone = (id: string): ZoneSummary => ({
  id,
  pools: 0,
  hosts: 0,
  imageStores: 0,
  clusters: 0,
  capacityBytes: 0,
  usedBytes: 0,
  allocatedBytes: 0,
  imageStoreCapacityBytes: 0,
  imageStoreFreeBytes: 0,
});

export const emptyCluster = (key: ClusterKey): ClusterSummary => ({ id: key.clusterId, zoneId: key.zoneId, pools: 0, hosts: 0, capacityBytes: 0, usedBytes: 0, allocatedBytes: 0 });

/** A page of keys to a page of summaries: `parts` are partial summaries by key, keys without any stay empty. */
export function summarize<K, S>(keys: readonly K[], empty: (key: K) => S, keyOf: (key: K) => string, parts: readonly ReadonlyMap<string, Partial<S>>[]): S[] {
  return keys.map((key) => parts.reduce<S>((s, part) => ({ ...s, ...(part.get(keyOf(key)) ?? {}) }), empty(key)));
}

export const clusterKeyString = (k: ClusterKey) => JSON.stringify([k.clusterId, k.zoneId]);
