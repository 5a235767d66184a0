import { ApiExceptionFilter } from '../../http/api-exception.filter';
import { QueryPipe } from '../../http/query-pipe';
import { ListSnapshotsParams, ListVolumeSnapshotsParams } from './list-snapshots.params';

function violations<T extends object>(schema: new () => T, query: unknown): string[][] {
  try {
    new QueryPipe(schema).transform(query);
    return [];
  } catch (error) {
    return (new ApiExceptionFilter().toBody(error).violations ?? []).map((v) => [v.field, v.rule]);
  }
}

describe('snapshot list queries', () => {
  it('GET /snapshots filters by volumeId and status, with the page parameters', () => {
    expect(violations(ListSnapshotsParams, { volumeId: '00000000-0000-4000-8000-00000000aaaa', status: 'ready', limit: '10' })).toEqual([]);
    expect(violations(ListSnapshotsParams, { status: 'deleted' })).toEqual([]);
    expect(violations(ListSnapshotsParams, { volumeId: 'vol-1', status: 'gone' })).toEqual(
      expect.arrayContaining([
        ['volumeId', 'isUuid'],
        ['status', 'isIn'],
      ]),
    );
    expect(violations(ListSnapshotsParams, { poolId: 'x' })).toEqual([['poolId', 'whitelistValidation']]);
  });

  it('GET /volumes/{id}/snapshots takes the volume from the path only', () => {
    expect(violations(ListVolumeSnapshotsParams, { status: 'creating' })).toEqual([]);
    expect(violations(ListVolumeSnapshotsParams, { volumeId: '00000000-0000-4000-8000-00000000aaaa' })).toEqual([['volumeId', 'whitelistValidation']]);
  });
});
