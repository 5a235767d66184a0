import { compareInventory, mergeReads, ourNames, ownerOf, type LoggedVolume } from './inventory';

const volume = (volumeId: string, status: string, hadObject = true): LoggedVolume => ({
  volumeId,
  backendName: `vol-${volumeId}`,
  status,
  hadObject,
});
const object = (name: string, sizeBytes = 4096) => ({ name, sizeBytes });
const all = () => true;

describe('compareInventory', () => {
  it('finds objects no volume owns and settled volumes whose object is gone', () => {
    const drift = compareInventory(
      [object('vol-a'), object('vol-stray', 512), object('vol-c')],
      [volume('a', 'ready'), volume('b', 'attached'), volume('c', 'error'), volume('d', 'ready')],
      all,
    );
    expect(drift).toEqual({
      orphans: [{ backendName: 'vol-stray', sizeBytes: 512 }],
      missing: [
        { volumeId: 'b', backendName: 'vol-b' },
        { volumeId: 'd', backendName: 'vol-d' },
      ],
    });
  });

  it('leaves volumes in transition to recovery, and never calls a failed creation missing', () => {
    const drift = compareInventory([], [volume('a', 'creating'), volume('b', 'deleting'), volume('c', 'resizing'), volume('d', 'error', false)], all);
    expect(drift).toEqual({ orphans: [], missing: [] });
  });

  it('counts the object of a volume in transition as owned', () => {
    const drift = compareInventory([object('vol-a'), object('vol-b')], [volume('a', 'creating'), volume('b', 'deleting')], all);
    expect(drift.orphans).toEqual([]);
  });

  it('reports only the names of ours on a shared backend', () => {
    const drift = compareInventory([object('vol-x-k1-inst'), object('someone-elses')], [], (n) => n.startsWith('vol-'));
    expect(drift.orphans.map((o) => o.backendName)).toEqual(['vol-x-k1-inst']);
  });
});

describe('ourNames', () => {
  it('takes every name where the pool is Strata\'s alone (no qualifiers)', () => {
    const isOurs = ourNames({ volumePrefix: 'vol', qualifiers: [] }, { poolKey: 'ab12', installationId: 'inst1' });
    expect(isOurs('anything.at-all')).toBe(true);
  });

  it('takes on a shared backend only our prefix with this pool\'s and installation\'s qualifiers', () => {
    const isOurs = ourNames({ volumePrefix: 'vol', qualifiers: ['poolKey', 'installationId'] }, { poolKey: 'ab12', installationId: 'Inst1' });
    expect(isOurs('vol-0123456789abcdef-ab12-inst1')).toBe(true);
    expect(isOurs('vol-0123456789abcdef-cd34-inst1')).toBe(false); // another pool sharing the backend
    expect(isOurs('vol-0123456789abcdef-ab12-other')).toBe(false); // another installation
    expect(isOurs('snap-0123456789abcdef-ab12-inst1')).toBe(false);
    expect(isOurs('vol--ab12-inst1')).toBe(false);
    expect(isOurs('cloudstack-volume')).toBe(false);
  });
});

describe('ownerOf', () => {
  it('names the live volume that owns a backend name', () => {
    expect(ownerOf([volume('a', 'ready')], 'vol-a')).toBe('a');
    expect(ownerOf([volume('a', 'ready')], 'vol-z')).toBeNull();
  });
});

describe('mergeReads', () => {
  it('judges only volumes settled in both reads, and keeps every name owned', () => {
    const before = [volume('a', 'ready'), volume('b', 'creating'), volume('c', 'ready')];
    const after = [volume('a', 'ready'), volume('b', 'ready'), volume('n', 'ready')]; // c deleted meanwhile, n new
    const merged = mergeReads(before, after);
    expect(compareInventory([], merged, all).missing).toEqual([{ volumeId: 'a', backendName: 'vol-a' }]);
    expect(compareInventory([object('vol-a'), object('vol-b'), object('vol-c'), object('vol-n')], merged, all).orphans).toEqual([]);
  });
});
