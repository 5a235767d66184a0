import type { VolumeTreeMember } from '@strata/plugin-sdk';
import { descendantsOf, snapshotOfId } from './backend-lineage';

describe('snapshotOfId', () => {
  const id = '8E7D6C5B-4a39-4281-b7c6-d5e4f3a2b1c0';
  const dashless = '8e7d6c5b4a394281b7c6d5e4f3a2b1c0';
  const named = (...names: string[]) => names.map((name) => ({ name, sizeBytes: 1 }));

  it('finds the snapshot by its whole id, with or without qualifiers after it', () => {
    expect(snapshotOfId(id, named('snap-other', `snap-${id.toLowerCase()}`))?.name).toBe(`snap-${id.toLowerCase()}`);
    expect(snapshotOfId(id, named(`snap-${id.toLowerCase()}-27cb-st01`))?.name).toBe(`snap-${id.toLowerCase()}-27cb-st01`);
  });
  it('finds it by the dashless id cut to the backend name limit (at least 16 characters), whatever pool key follows', () => {
    expect(snapshotOfId(id, named(`snap-${dashless.slice(0, 20)}-27cb-st01`))?.name).toBe(`snap-${dashless.slice(0, 20)}-27cb-st01`);
    expect(snapshotOfId(id, named(`snap-${dashless}-st01`))?.name).toBe(`snap-${dashless}-st01`);
  });
  it('does not take fewer than 16 characters, another id, or another prefix', () => {
    expect(snapshotOfId(id, named(`snap-${dashless.slice(0, 15)}-st01`))).toBeUndefined();
    expect(snapshotOfId(id, named(`snap-${dashless.slice(0, 15)}0-st01`))).toBeUndefined();
    expect(snapshotOfId(id, named(`vol-${id}`, `snap-${id.slice(0, 8)}`))).toBeUndefined();
  });
  it('prefers the whole id to a shortened one', () => {
    expect(snapshotOfId(id, named(`snap-${dashless.slice(0, 16)}`, `snap-${id}`))?.name).toBe(`snap-${id}`);
  });
});

describe('descendantsOf', () => {
  const member = (name: string, kind: VolumeTreeMember['kind'], parent: string | null): VolumeTreeMember => ({ name, kind, parent, sizeBytes: 1 });
  // A PowerFlex-like VTree: the source, its snapshots, a clone of one, and the clone's own snapshot.
  const tree = {
    members: [
      member('vol-src', 'volume', null),
      member('snap-a', 'snapshot', 'vol-src'),
      member('snap-b', 'snapshot', 'vol-src'),
      member('vol-clone', 'clone', 'snap-a'),
      member('snap-c', 'snapshot', 'vol-clone'),
    ],
  };
  const names = (volume: string) => descendantsOf(tree, volume).map((m) => m.name);

  it('gives everything below the root', () => {
    expect(names('vol-src').sort()).toEqual(['snap-a', 'snap-b', 'snap-c', 'vol-clone']);
  });
  it("gives a clone only what hangs below it, not its source nor the source's snapshots", () => {
    expect(names('vol-clone')).toEqual(['snap-c']);
  });
  it('gives the root even a clone whose snapshot is no longer listed', () => {
    const orphaned = { members: [member('vol-src', 'volume', null), member('vol-clone', 'clone', 'snap-gone')] };
    expect(descendantsOf(orphaned, 'vol-src').map((m) => m.name)).toEqual(['vol-clone']);
    expect(descendantsOf(orphaned, 'vol-clone')).toEqual([]);
  });
  it('compares names case-insensitively (LINSTOR)', () => {
    expect(names('VOL-CLONE')).toEqual(['snap-c']);
  });
});
