import { allocationByPool, volumeFootprint, type VolumeSizeEvent } from './volume-footprint';

const requested = (poolId: string, sizeBytes: number, iops?: number): VolumeSizeEvent => ({
  type: 'VolumeCreationRequested',
  data: { volumeId: 'v', poolId, sizeBytes, name: 'n', volumeType: 'DATA', backendName: 'b', qos: iops === undefined ? null : { iops } },
});
const created = (sizeBytes: number): VolumeSizeEvent => ({ type: 'VolumeCreated', data: { volumeId: 'v', poolId: 'p', sizeBytes } });

describe('volume footprint', () => {
  it('given a creation asked for, then its size is allocated already', () => {
    expect(volumeFootprint([requested('p1', 1000)])).toEqual({ poolId: 'p1', bytes: 1000, iops: 0 });
  });
  it('given a volume created, then the size the backend reported counts', () => {
    expect(volumeFootprint([requested('p1', 1000), created(1024)])).toEqual({ poolId: 'p1', bytes: 1024, iops: 0 });
  });
  it('given a resize done, then the new size counts', () => {
    expect(volumeFootprint([requested('p1', 1000), created(1024), { type: 'VolumeResized', data: { sizeBytes: 4096 } }])).toEqual({
      poolId: 'p1',
      bytes: 4096,
      iops: 0,
    });
  });
  it('given a grow under way, then the bigger size counts; after it fails, the old one again', () => {
    const growing = [requested('p1', 1024), created(1024), { type: 'VolumeResizeRequested', data: { fromBytes: 1024, toBytes: 8192 } }];
    expect(volumeFootprint(growing)?.bytes).toBe(8192);
    expect(volumeFootprint([...growing, { type: 'VolumeResizeFailed', data: {} }])?.bytes).toBe(1024);
  });
  it('given a shrink under way, then the current size counts until it is done', () => {
    expect(volumeFootprint([requested('p1', 4096), created(4096), { type: 'VolumeResizeRequested', data: { toBytes: 1024 } }])?.bytes).toBe(4096);
  });
  it('given a deleted volume, then it holds nothing', () => {
    expect(volumeFootprint([requested('p1', 1024), created(1024), { type: 'VolumeDeleted', data: { sizeBytes: 1024 } }])).toBeNull();
  });
  it('given a creation that failed, then it holds nothing', () => {
    expect(volumeFootprint([requested('p1', 1024), { type: 'VolumeCreationFailed', data: {} }])).toBeNull();
  });
  it('given a failed deletion of a made volume, then it still holds its size', () => {
    expect(volumeFootprint([requested('p1', 1024), created(1024), { type: 'VolumeDeletionFailed', data: {} }])?.bytes).toBe(1024);
  });
  it('given an adopted orphan, then its size counts on its pool', () => {
    expect(volumeFootprint([{ type: 'VolumeManaged', data: { poolId: 'p2', sizeBytes: 777 } }])).toEqual({ poolId: 'p2', bytes: 777, iops: 0 });
  });
  it('given events of other operations, then they change nothing', () => {
    expect(volumeFootprint([requested('p1', 1024), created(1024), { type: 'VolumeAttached', data: { hostId: 'h' } }])?.bytes).toBe(1024);
  });
  it('given an IOPS limit at creation, then it counts; a QoS change replaces it, and a raise under way counts already', () => {
    const limited = [requested('p1', 1024, 500), created(1024)];
    expect(volumeFootprint(limited)?.iops).toBe(500);
    const raising = [...limited, { type: 'VolumeQosChangeRequested', data: { qos: { iops: 2000 } } }];
    expect(volumeFootprint(raising)?.iops).toBe(2000);
    expect(volumeFootprint([...raising, { type: 'VolumeQosChangeFailed', data: {} }])?.iops).toBe(500);
    expect(volumeFootprint([...raising, { type: 'VolumeQosChanged', data: { qos: { iops: 2000 } } }])?.iops).toBe(2000);
    expect(volumeFootprint([...limited, { type: 'VolumeQosChanged', data: { qos: { iops: null, tier: 'gold' } } }])?.iops).toBe(0);
  });
  it('sums the volumes of each pool', () => {
    const totals = allocationByPool([
      [requested('p1', 1024, 100), created(1024)],
      [requested('p1', 2048, 50)],
      [requested('p2', 512, 999), created(512), { type: 'VolumeDeleted', data: {} }],
      [requested('p2', 4096)],
    ]);
    expect([...totals.entries()]).toEqual([
      ['p1', { bytes: 3072, iops: 150 }],
      ['p2', { bytes: 4096, iops: 0 }],
    ]);
  });
});

describe('volume footprint across a migration', () => {
  const start: VolumeSizeEvent[] = [
    { type: 'VolumeCreationRequested', data: { poolId: 'p1', sizeBytes: 1000 } },
    { type: 'VolumeCreated', data: { sizeBytes: 1024 } },
  ];
  const moving: VolumeSizeEvent[] = [...start, { type: 'VolumeMigrationRequested', data: { poolId: 'p1', toPoolId: 'p2', sizeBytes: 2048 } }];
  it('holds space on both pools while it moves: the destination is promised from the intent on', () => {
    expect(allocationByPool([moving])).toEqual(
      new Map([
        ['p1', { bytes: 1024, iops: 0 }],
        ['p2', { bytes: 2048, iops: 0 }],
      ]),
    );
  });
  it('holds space only on the destination after the switch', () => {
    const moved = [...moving, { type: 'VolumeMigrated', data: { fromPoolId: 'p1', toPoolId: 'p2', sizeBytes: 2048 } }];
    expect(volumeFootprint(moved)).toEqual({ poolId: 'p2', bytes: 2048, iops: 0 });
    expect(allocationByPool([moved])).toEqual(new Map([['p2', { bytes: 2048, iops: 0 }]]));
  });
  it('gives the destination back when the migration fails', () => {
    expect(allocationByPool([[...moving, { type: 'VolumeMigrationFailed', data: { poolId: 'p1', toPoolId: 'p2' } }]])).toEqual(
      new Map([['p1', { bytes: 1024, iops: 0 }]]),
    );
  });
});

describe('volume footprint of an allocated volume', () => {
  it('reserves its space from the allocation on, before anything is made', () => {
    expect(volumeFootprint([{ type: 'VolumeAllocated', data: { poolId: 'p1', sizeBytes: 4096, qos: { iops: 300 } } }])).toEqual({ poolId: 'p1', bytes: 4096, iops: 300 });
  });
});
