import type { MessageBus } from '@strata/messaging';
import { ViewCatchUp } from './view-catch-up';

/** A bus whose topic ends are fixed and whose group's committed offsets advance call by call. */
function bus(ends: number[], committedByCall: number[][]): MessageBus & { commitsRead: number } {
  const b = {
    commitsRead: 0,
    topicOffsets: async () => ends.map((high, partition) => ({ topic: 't', partition, low: 0, high })),
    committedOffsets: async () => {
      const at = committedByCall[Math.min(b.commitsRead++, committedByCall.length - 1)]!;
      return at.map((offset, partition) => ({ topic: 't', partition, offset }));
    },
  };
  return b as unknown as MessageBus & { commitsRead: number };
}

describe('ViewCatchUp', () => {
  it('answers at once what is already there, without asking Kafka', async () => {
    const b = bus([5], [[0]]);
    const answer = await new ViewCatchUp(b, 'g', ['t']).settle(async () => 'volume', (v) => v !== null);
    expect(answer).toBe('volume');
    expect(b.commitsRead).toBe(0);
  });

  it('waits for an absent aggregate while the view is behind, and answers it once the view has it', async () => {
    const b = bus([5, 3], [[2, 3], [4, 3], [5, 3]]);
    const reads = [null, null, null, 'volume'];
    let i = 0;
    const answer = await new ViewCatchUp(b, 'g', ['t']).settle(async () => reads[Math.min(i++, reads.length - 1)] ?? null, (v) => v !== null, 10_000, 1);
    expect(answer).toBe('volume');
  });

  it('answers absent once the view has read up to the moment of the call', async () => {
    const b = bus([5, 0], [[5]]); // partition 1 never had a message: nothing committed there, nothing to wait for
    let probes = 0;
    const answer = await new ViewCatchUp(b, 'g', ['t']).settle(async () => (probes++, null), (v) => v !== null, 10_000, 1);
    expect(answer).toBeNull();
    expect(probes).toBe(2); // the first read, and one after the view was found caught up
  });

  it('gives up after maxMs when the view stays behind', async () => {
    const b = bus([5], [[1]]);
    const started = Date.now();
    const answer = await new ViewCatchUp(b, 'g', ['t']).settle(async () => null, (v) => v !== null, 50, 5);
    expect(answer).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('judges on the view as it is when the bus cannot tell offsets, or Kafka does not answer', async () => {
    const noOffsets = {} as MessageBus;
    expect(await new ViewCatchUp(noOffsets, 'g', ['t']).settle(async () => null, (v) => v !== null)).toBeNull();
    const warnings: string[] = [];
    const failing = { topicOffsets: async () => Promise.reject(new Error('broker down')), committedOffsets: async () => [] } as unknown as MessageBus;
    expect(await new ViewCatchUp(failing, 'g', ['t'], (m) => warnings.push(m)).settle(async () => null, (v) => v !== null)).toBeNull();
    expect(warnings[0]).toMatch(/broker down/);
  });
});
