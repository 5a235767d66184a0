import { queryViolations } from '../../http/query-violations.spec';
import { ListVmSnapshotsParams } from './list-vm-snapshots.params';

const violations = (query: unknown) => queryViolations(ListVmSnapshotsParams, query);

describe('VM snapshot list query', () => {
  it('GET /vm-snapshots filters by vmId and status, with the page parameters', () => {
    expect(violations({ vmId: 'vm-4711', status: 'ready', limit: '10' })).toEqual([]);
    expect(violations({ status: 'deleted' })).toEqual([]);
    expect(violations({ vmId: '', status: 'gone' })).toEqual(expect.arrayContaining([['vmId', 'isNotEmpty'], ['status', 'isIn']]));
    expect(violations({ volumeId: 'x' })).toEqual([['volumeId', 'whitelistValidation']]);
  });
});
