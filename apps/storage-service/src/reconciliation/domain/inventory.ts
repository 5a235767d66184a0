import type { NamingStrategy } from '@strata/plugin-sdk';
import type { DriftFindings } from './drift';

/** One object as the backend lists it. */
export interface BackendObject {
  readonly name: string;
  readonly sizeBytes: number;
}

/** One live volume of the pool as the log tells it (not deleted). */
export interface LoggedVolume {
  readonly volumeId: string;
  readonly backendName: string;
  readonly status: string;
  /** It had a backend object once (VolumeCreated or VolumeManaged): a failed creation never did. */
  readonly hadObject: boolean;
}

/**
 * Statuses in which the volume's object must be on the backend. Creating and deleting
 * volumes (and any other transition) are recovery's: their object may rightly be
 * half made or already gone, so they are never judged missing.
 */
const SETTLED = new Set(['ready', 'attached', 'error']);

/** Status given to a volume that changed while the backend was listed (never judged missing). */
export const CHANGING = 'changing';

/** The ids that qualify our names on a shared backend (see ourNames). */
export interface NameQualifiers {
  readonly poolKey: string;
  readonly installationId: string;
}

/**
 * Which backend names are Strata's to judge. Where the manifest's naming has no
 * qualifiers (file: a directory; LINSTOR: a resource group), the pool is Strata's alone,
 * so every object in it is ours and every unowned one is reported. Where names carry
 * qualifiers (PowerFlex: pool key and installation id; StorPool: installation id), the
 * backend is shared with other pools, installations or other clouds, so only names of
 * our own shape count: `<volumePrefix>-…-<qualifier values>` for this pool and this
 * installation. Anything else belongs to someone else and is neither reported nor touched.
 */
export function ourNames(naming: NamingStrategy, ids: NameQualifiers): (name: string) => boolean {
  if (naming.qualifiers.length === 0) return () => true;
  const head = `${naming.volumePrefix}-`;
  const tail = naming.qualifiers.map((q) => `-${ids[q].toLowerCase()}`).join('');
  return (name) => name.length > head.length + tail.length && name.startsWith(head) && name.endsWith(tail);
}

/**
 * Both directions of drift: backend objects of ours that no live volume owns, and settled
 * volumes whose object the backend does not list.
 */
export function compareInventory(
  objects: readonly BackendObject[],
  volumes: readonly LoggedVolume[],
  isOurs: (name: string) => boolean,
): DriftFindings {
  const owned = new Set(volumes.map((v) => v.backendName));
  const listed = new Set(objects.map((o) => o.name));
  return {
    orphans: objects
      .filter((o) => isOurs(o.name) && !owned.has(o.name))
      .map((o) => ({ backendName: o.name, sizeBytes: o.sizeBytes }))
      .sort((a, b) => (a.backendName < b.backendName ? -1 : a.backendName > b.backendName ? 1 : 0)),
    missing: volumes
      .filter((v) => v.hadObject && SETTLED.has(v.status) && !listed.has(v.backendName))
      .map((v) => ({ volumeId: v.volumeId, backendName: v.backendName }))
      .sort((a, b) => (a.backendName < b.backendName ? -1 : a.backendName > b.backendName ? 1 : 0)),
  };
}

/** The live volume that owns a backend name, if any. */
export function ownerOf(volumes: readonly LoggedVolume[], backendName: string): string | null {
  return volumes.find((v) => v.backendName === backendName)?.volumeId ?? null;
}

/**
 * Joins two reads of the log taken before and after the backend was listed, so that a
 * volume changing while the listing ran is never misjudged: a name owned in either read
 * is owned, and a volume is judged missing only if it was settled in both reads (it
 * should have been on the backend during the whole listing).
 */
export function mergeReads(before: readonly LoggedVolume[], after: readonly LoggedVolume[]): LoggedVolume[] {
  const earlier = new Map(before.map((v) => [v.volumeId, v]));
  const merged = new Map<string, LoggedVolume>();
  for (const v of after) {
    const then = earlier.get(v.volumeId);
    const steady = then !== undefined && SETTLED.has(then.status) && SETTLED.has(v.status) && then.backendName === v.backendName;
    merged.set(v.volumeId, steady ? v : { ...v, status: CHANGING });
  }
  // Deleted meanwhile: its object may still have been listed, so it still owns the name.
  for (const v of before) if (!merged.has(v.volumeId)) merged.set(v.volumeId, { ...v, status: CHANGING });
  return [...merged.values()];
}
