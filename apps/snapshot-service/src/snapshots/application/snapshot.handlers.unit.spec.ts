import type { CreateSnapshotData, Envelope } from '@strata/contracts';
import type { VolumeRow } from '../../storage-view/domain/storage-view';
import type { SnapshotCommand } from '../domain/snapshot';
import { CreateSnapshotHandler } from './snapshot.handlers';

// The storage view follows the storage events in a group of its own, so a sender that acted on
// VolumeCreated can be ahead of it. The handler gives it a few seconds before judging.

const row = (status: VolumeRow['status']): VolumeRow => ({
  volumeId: 'vol-1',
  poolId: 'pool-1',
  backendName: 'vol-1',
  status,
  sizeBytes: 1024,
  hostIds: [],
  attachingHostId: null,
  version: 1,
});

function handlerWith(statuses: VolumeRow['status'][]) {
  const seen: SnapshotCommand[] = [];
  let reads = 0;
  const view = {
    volume: async () => row(statuses[Math.min(reads++, statuses.length - 1)]),
    pool: async () => null,
  };
  const runner = {
    load: async () => ({ status: 'absent' }),
    run: async (_command: unknown, decide: () => SnapshotCommand) => {
      seen.push(decide());
    },
  };
  const handler = new CreateSnapshotHandler(
    runner as never,
    view as never,
    { factsOf: () => null } as never,
    { backupSnapshots: async () => false } as never,
  );
  return { handler, seen, reads: () => reads };
}

const command = { aggregateId: 'snap-1', data: { volumeId: 'vol-1', name: 'base-snap' } } as Envelope<'CreateSnapshot', CreateSnapshotData>;

describe('CreateSnapshotHandler and a lagging storage view', () => {
  it('waits while the view still says creating, and decides on what it says once it caught up', async () => {
    const { handler, seen, reads } = handlerWith(['creating', 'creating', 'ready']);
    await handler.handle(command);
    expect(reads()).toBe(3);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'CreateSnapshot', volume: { volumeId: 'vol-1', status: 'ready' } });
  });

  it('does not wait for a volume in any other state', async () => {
    const { handler, seen, reads } = handlerWith(['resizing', 'ready']);
    await handler.handle(command);
    expect(reads()).toBe(1);
    expect(seen[0]).toMatchObject({ volume: { status: 'resizing' } });
  });
});
