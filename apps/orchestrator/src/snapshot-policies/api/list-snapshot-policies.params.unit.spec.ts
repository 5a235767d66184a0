import { ApiExceptionFilter } from '../../http/api-exception.filter';
import { QueryPipe } from '../../http/query-pipe';
import { ListSnapshotPoliciesParams, ListVolumeSnapshotPoliciesParams } from './list-snapshot-policies.params';

function violations<T extends object>(schema: new () => T, query: unknown): string[][] {
  try {
    new QueryPipe(schema).transform(query);
    return [];
  } catch (error) {
    return (new ApiExceptionFilter().toBody(error).violations ?? []).map((v) => [v.field, v.rule]);
  }
}

describe('snapshot policy list queries', () => {
  it('GET /snapshot-policies filters by volumeId and status, with the page parameters', () => {
    expect(violations(ListSnapshotPoliciesParams, { volumeId: '00000000-0000-4000-8000-00000000aaaa', status: 'active', limit: '10' })).toEqual([]);
    expect(violations(ListSnapshotPoliciesParams, { status: 'deleted' })).toEqual([]);
    expect(violations(ListSnapshotPoliciesParams, { volumeId: 'vol-1', status: 'paused' })).toEqual(
      expect.arrayContaining([
        ['volumeId', 'isUuid'],
        ['status', 'isIn'],
      ]),
    );
    expect(violations(ListSnapshotPoliciesParams, { tenant: 'acme' })).toEqual([['tenant', 'whitelistValidation']]);
  });

  it('GET /volumes/{id}/snapshot-policies takes the volume from the path only', () => {
    expect(violations(ListVolumeSnapshotPoliciesParams, { status: 'active' })).toEqual([]);
    expect(violations(ListVolumeSnapshotPoliciesParams, { volumeId: '00000000-0000-4000-8000-00000000aaaa' })).toEqual([['volumeId', 'whitelistValidation']]);
  });
});
