import { queryViolations } from '../../http/query-violations.spec';
import { ListSnapshotsParams, ListVolumeSnapshotsParams } from './list-snapshots.params';

describe('snapshot list queries', () => {
  it('GET /snapshots filters by volumeId and status, with the page parameters', () => {
    expect(queryViolations(ListSnapshotsParams, { volumeId: '00000000-0000-4000-8000-00000000aaaa', status: 'ready', limit: '10' })).toEqual([]);
    expect(queryViolations(ListSnapshotsParams, { status: 'deleted' })).toEqual([]);
    expect(queryViolations(ListSnapshotsParams, { volumeId: 'vol-1', status: 'gone' })).toEqual(
      expect.arrayContaining([
        ['volumeId', 'isUuid'],
        ['status', 'isIn'],
      ]),
    );
    expect(queryViolations(ListSnapshotsParams, { poolId: 'x' })).toEqual([['poolId', 'whitelistValidation']]);
  });

  it('GET /volumes/{id}/snapshots takes the volume from the path only', () => {
    expect(queryViolations(ListVolumeSnapshotsParams, { status: 'creating' })).toEqual([]);
    expect(queryViolations(ListVolumeSnapshotsParams, { volumeId: '00000000-0000-4000-8000-00000000aaaa' })).toEqual([['volumeId', 'whitelistValidation']]);
  });
});
