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

/** `statuses`: what the view answers, read after read (null: no such volume); `caughtUp`: the view's answers to "read up to the mark?". */
function handlerWith(statuses: (VolumeRow['status'] | null)[], caughtUp: boolean[] = [true]) {
  const seen: SnapshotCommand[] = [];
  let reads = 0;
  let lagChecks = 0;
  const view = {
    volume: async () => {
      const status = statuses[Math.min(reads++, statuses.length - 1)];
      return status === null || status === undefined ? null : row(status);
    },
    pool: async () => null,
  };
  const runner = {
    load: async () => ({ status: 'absent' }),
    run: async (_command: unknown, decide: () => SnapshotCommand) => {
      seen.push(decide());
    },
  };
  const viewLag = {
    mark: async () => new Map([[0, 10]]),
    reached: async () => caughtUp[Math.min(lagChecks++, caughtUp.length - 1)],
  };
  const handler = new CreateSnapshotHandler(
    runner as never,
    view as never,
    { factsOf: () => null } as never,
    { backupSnapshots: async () => false } as never,
    viewLag as never,
  );
  return { handler, seen, reads: () => reads, lagChecks: () => lagChecks };
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

  // Found by the fault run (docs/fault-tests.md): after a SIGKILL the view replays what it
  // missed, and a CreateSnapshot of a volume long ready was refused as snapshot.volume_not_found.
  it('waits for a volume the view does not have while the view has not read the topic up to the command', async () => {
    const { handler, seen, lagChecks } = handlerWith([null, null, null, 'ready'], [false, false, true]);
    await handler.handle(command);
    expect(lagChecks()).toBe(3);
    expect(seen[0]).toMatchObject({ type: 'CreateSnapshot', volume: { volumeId: 'vol-1', status: 'ready' } });
  });

  it('refuses an unknown volume at once when the view is caught up', async () => {
    const { handler, seen, reads, lagChecks } = handlerWith([null]);
    await handler.handle(command);
    expect(lagChecks()).toBe(1);
    expect(reads()).toBe(2);
    expect(seen[0]).toMatchObject({ type: 'CreateSnapshot', volume: null });
  });

  it('judges at once when the bus cannot tell the view\'s position', async () => {
    const { handler, seen, reads } = handlerWith([null]);
    (handler as unknown as { viewLag: { mark: () => Promise<null> } }).viewLag.mark = async () => null;
    await handler.handle(command);
    expect(reads()).toBe(2);
    expect(seen[0]).toMatchObject({ volume: null });
  });
});
