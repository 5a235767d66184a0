import { caughtUp, eventsReplayed, eventsToReplay, lagByTopic, percentDone } from './rebuild-progress';
import { isReplayed, partitionKey, projectedBeforeConsumer, projectionGroupOf, PROJECTION_CONSUMER } from '../../projection/domain/generation';

describe('read model rebuild progress', () => {
  const ends = { 'ev.storage:0': { low: 0, high: 10 }, 'ev.storage:1': { low: 5, high: 5 }, 'ev.image:0': { low: 2, high: 12 } };

  it('counts the events to replay from each partition low watermark to its end at the start', () => {
    expect(eventsToReplay(ends)).toBe(20);
    expect(eventsToReplay({})).toBe(0);
  });

  it('counts replayed events from committed offsets, capped at the end seen at the start', () => {
    expect(eventsReplayed(ends, {})).toBe(0);
    expect(eventsReplayed(ends, { 'ev.storage:0': 4, 'ev.image:0': 7 })).toBe(9);
    // Past the end (events that arrived during the rebuild) counts as the whole range.
    expect(eventsReplayed(ends, { 'ev.storage:0': 15, 'ev.image:0': 12 })).toBe(20);
  });

  it('is caught up when every non-empty partition committed its end, empty ones need nothing', () => {
    expect(caughtUp(ends, { 'ev.storage:0': 10 })).toBe(false);
    expect(caughtUp(ends, { 'ev.storage:0': 10, 'ev.image:0': 11 })).toBe(false);
    expect(caughtUp(ends, { 'ev.storage:0': 10, 'ev.image:0': 12 })).toBe(true);
    expect(caughtUp({}, {})).toBe(true);
  });

  it('says whole percents, 100 for an empty replay', () => {
    expect(percentDone(0, 20)).toBe(0);
    expect(percentDone(9, 20)).toBe(45);
    expect(percentDone(20, 20)).toBe(100);
    expect(percentDone(0, 0)).toBe(100);
  });

  it('sums lag per topic, from the low watermark where nothing was committed', () => {
    expect(lagByTopic(ends, { 'ev.storage:0': 7 })).toEqual({ 'ev.storage': 3, 'ev.image': 10 });
    expect(lagByTopic({ 'a.b:c:0': { low: 0, high: 3 } }, { 'a.b:c:0': 3 })).toEqual({ 'a.b:c': 0 });
  });
});

describe('read model generations', () => {
  it('keeps the original group for generation 0 and names each later one', () => {
    expect(projectionGroupOf(0)).toBe(PROJECTION_CONSUMER);
    expect(projectionGroupOf(3)).toBe(`${PROJECTION_CONSUMER}.g3`);
    expect(projectedBeforeConsumer(3)).not.toBe(PROJECTION_CONSUMER);
  });

  it('calls a message replayed only while rebuilding and below its partition end at the start', () => {
    const endOffsets = { [partitionKey('t', 0)]: { low: 0, high: 5 } };
    expect(isReplayed({ state: 'rebuilding', endOffsets }, 't', 0, 4)).toBe(true);
    expect(isReplayed({ state: 'rebuilding', endOffsets }, 't', 0, 5)).toBe(false);
    expect(isReplayed({ state: 'rebuilding', endOffsets }, 't', 1, 0)).toBe(false);
    expect(isReplayed({ state: 'live', endOffsets }, 't', 0, 4)).toBe(false);
  });
});
