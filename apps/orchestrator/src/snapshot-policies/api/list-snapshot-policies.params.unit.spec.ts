import { queryViolations } from '../../http/query-violations.spec';
import { ListSnapshotPoliciesParams, ListVolumeSnapshotPoliciesParams } from './list-snapshot-policies.params';

describe('snapshot policy list queries', () => {
  it('GET /snapshot-policies filters by volumeId and status, with the page parameters', () => {
    expect(queryViolations(ListSnapshotPoliciesParams, { volumeId: '00000000-0000-4000-8000-00000000aaaa', status: 'active', limit: '10' })).toEqual([]);
    expect(queryViolations(ListSnapshotPoliciesParams, { status: 'deleted' })).toEqual([]);
    expect(queryViolations(ListSnapshotPoliciesParams, { volumeId: 'vol-1', status: 'paused' })).toEqual(
      expect.arrayContaining([
        ['volumeId', 'isUuid'],
        ['status', 'isIn'],
      ]),
    );
    expect(queryViolations(ListSnapshotPoliciesParams, { tenant: 'acme' })).toEqual([['tenant', 'whitelistValidation']]);
  });

  it('GET /volumes/{id}/snapshot-policies takes the volume from the path only', () => {
    expect(queryViolations(ListVolumeSnapshotPoliciesParams, { status: 'active' })).toEqual([]);
    expect(queryViolations(ListVolumeSnapshotPoliciesParams, { volumeId: '00000000-0000-4000-8000-00000000aaaa' })).toEqual([['volumeId', 'whitelistValidation']]);
  });
});
