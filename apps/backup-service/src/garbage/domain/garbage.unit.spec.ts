import { deciderSpec } from '@strata/kernel';
import { garbageDecider, selectGarbage } from './garbage';

const id = (c: string) => c.repeat(64);
const now = new Date('2026-11-21T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const HOUR = 3_600_000;

describe('selectGarbage', () => {
  it('keeps referenced chunks whatever their age, deletes unreferenced old ones, spares unreferenced young ones', () => {
    const chunks = [
      { id: id('a'), modifiedAt: ago(100 * HOUR) }, // referenced, old
      { id: id('b'), modifiedAt: ago(1000) }, // referenced, young
      { id: id('c'), modifiedAt: ago(7 * HOUR) }, // garbage
      { id: id('d'), modifiedAt: ago(5 * HOUR) }, // unreferenced but young: a backup may be writing it
      { id: id('e'), modifiedAt: ago(6 * HOUR) }, // exactly at the grace period: old enough
    ];
    expect(selectGarbage(chunks, new Set([id('a'), id('b')]), now, 6 * HOUR)).toEqual({ kept: [id('a'), id('b')], garbage: [id('c'), id('e')], tooYoung: [id('d')] });
  });

  it('with no manifest at all every old chunk is garbage; with grace 0 even a new one', () => {
    const chunks = [{ id: id('a'), modifiedAt: now }];
    expect(selectGarbage(chunks, new Set(), now, HOUR)).toEqual({ kept: [], garbage: [], tooYoung: [id('a')] });
    expect(selectGarbage(chunks, new Set(), now, 0)).toEqual({ kept: [], garbage: [id('a')], tooYoung: [] });
  });

  it('a chunk dated in the future (clock skew between hosts) is young, never garbage', () => {
    expect(selectGarbage([{ id: id('f'), modifiedAt: new Date(now.getTime() + HOUR) }], new Set(), now, 0).garbage).toEqual([]);
  });

  it('refuses a negative grace period', () => {
    expect(() => selectGarbage([], new Set(), now, -1)).toThrow(RangeError);
  });
});

describe('garbage collection decider', () => {
  const targetId = '0c3a5e7f-1b2d-4e6f-8a9b-c0d1e2f3a4b5';
  const spec = deciderSpec(garbageDecider);
  it('records the counts of a round, or its failure; refuses a removed target', () => {
    const selection = { kept: [id('a')], garbage: [id('b'), id('c')], tooYoung: [] };
    spec
      .given([])
      .when({ type: 'RecordCollection', targetId, targetExists: true, manifests: 3, selection })
      .then([{ type: 'BackupGarbageCollected', data: { targetId, manifests: 3, chunksKept: 1, chunksDeleted: 2, chunksTooYoung: 0 } }]);
    const error = { code: 'backup.manifest_unreadable', category: 'illegal_state', message: 'not JSON' };
    spec.given([]).when({ type: 'RecordCollectionFailed', targetId, targetExists: true, error }).then([{ type: 'BackupGarbageCollectionFailed', data: { targetId, error } }]);
    spec.given([]).when({ type: 'RecordCollection', targetId, targetExists: false, manifests: 0, selection }).thenThrows('backuptarget.not_found');
  });
});
