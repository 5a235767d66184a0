import { MIN_VOLUME_ID_CHARS, OBJECT_PREFIXES, type VolumeTree, type VolumeTreeMember } from '@strata/plugin-sdk';

/**
 * The snapshot among a volume's backend snapshots that the snapshot service named for
 * `snapshotId`: `backendObjectName(manifest, 'snap', { volumeId: snapshotId, ... })`, whose id
 * part is the id itself, or, where the backend's name limit leaves less room, the id
 * without its dashes cut to that room (at least 16 characters). Qualifiers after it (pool
 * key, installation id) are not compared: the snapshot keeps the pool key of the pool it
 * was taken on, which a native migration of its volume may since have changed. The whole
 * id wins over a shortened one; undefined when none carries it.
 */
export function snapshotOfId<T extends { readonly name: string }>(snapshotId: string, snapshots: readonly T[]): T | undefined {
  const id = snapshotId.toLowerCase();
  const dashless = id.replace(/-/g, '');
  const prefix = `${OBJECT_PREFIXES.snapshot}-`;
  const idPartOf = (snapshot: T): string | null => {
    const name = snapshot.name.toLowerCase();
    return name.startsWith(prefix) ? name.slice(prefix.length) : null;
  };
  const whole = snapshots.find((s) => {
    const rest = idPartOf(s);
    return rest !== null && (rest === id || rest.startsWith(`${id}-`));
  });
  if (whole) return whole;
  return snapshots.find((s) => {
    const rest = idPartOf(s);
    if (rest === null) return false;
    const shortened = rest.split('-')[0] ?? '';
    return shortened.length >= MIN_VOLUME_ID_CHARS && dashless.startsWith(shortened);
  });
}

/**
 * The members of a backend tree below the named volume (its snapshots, clones made from
 * them, and theirs), not the volume itself nor what it descends from. Backends report the
 * whole tree from its root whichever member is asked for (a PowerFlex VTree, a clone's
 * source on the file backend, LINSTOR and StorPool): a clone must not count its source or
 * its source's snapshots as its own. Names compare case-insensitively (LINSTOR).
 */
export function descendantsOf(tree: Pick<VolumeTree, 'members'>, volumeName: string): VolumeTreeMember[] {
  const own = volumeName.toLowerCase();
  const self = tree.members.find((m) => m.name.toLowerCase() === own);
  // The root: everything else hangs below it, even a clone whose snapshot is gone (its parent no longer listed).
  if (self?.parent === null) return tree.members.filter((m) => m !== self);
  const below = new Set([own]);
  const found: VolumeTreeMember[] = [];
  let grew = true;
  while (grew) {
    grew = false;
    for (const member of tree.members) {
      const name = member.name.toLowerCase();
      if (below.has(name) || member.parent === null || !below.has(member.parent.toLowerCase())) continue;
      below.add(name);
      found.push(member);
      grew = true;
    }
  }
  return found;
}
