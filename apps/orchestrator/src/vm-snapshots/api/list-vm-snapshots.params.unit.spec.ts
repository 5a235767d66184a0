import { ApiExceptionFilter } from '../../http/api-exception.filter';
import { QueryPipe } from '../../http/query-pipe';
import { ListVmSnapshotsParams } from './list-vm-snapshots.params';

function violations(query: unknown): string[][] {
  try {
    new QueryPipe(ListVmSnapshotsParams).transform(query);
    return [];
  } catch (error) {
    return (new ApiExceptionFilter().toBody(error).violations ?? []).map((v) => [v.field, v.rule]);
  }
}

describe('VM snapshot list query', () => {
  it('GET /vm-snapshots filters by vmId and status, with the page parameters', () => {
    expect(violations({ vmId: 'vm-4711', status: 'ready', limit: '10' })).toEqual([]);
    expect(violations({ status: 'deleted' })).toEqual([]);
    expect(violations({ vmId: '', status: 'gone' })).toEqual(expect.arrayContaining([['vmId', 'isNotEmpty'], ['status', 'isIn']]));
    expect(violations({ volumeId: 'x' })).toEqual([['volumeId', 'whitelistValidation']]);
  });
});
