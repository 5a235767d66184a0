import { StrataApiError } from '@strata/client';
import { describeFailure, formatApiError, JobFailed } from './errors';
import { UsageError } from './usage-error';

const failedJob = {
  id: 'job-1',
  status: 'failed' as const,
  commandType: 'DeleteVolume',
  aggregateId: 'vol-1',
  tenant: null,
  result: null,
  error: { code: 'volume.has_snapshots', category: 'conflict', message: 'the volume has 2 snapshots', violations: [] },
  progress: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('error printing', () => {
  it('prints the code, the message and one field: rule line per violation', () => {
    expect(
      formatApiError('request.invalid', 'the request breaks 2 rules', [
        { field: 'sizeBytes', rule: 'min', message: 'sizeBytes must not be less than 1' },
        { field: 'name', rule: 'matches' },
      ]),
    ).toBe('error request.invalid: the request breaks 2 rules\n  sizeBytes: min\n  name: matches');
  });

  it('exits 1 for an API error', () => {
    expect(describeFailure(new StrataApiError(401, 'auth.invalid_key', 'the API key is not valid'))).toEqual({
      text: 'error auth.invalid_key: the API key is not valid',
      exitCode: 1,
    });
  });

  it("exits 1 for a failed job, with the job's own code and violations", () => {
    const job = { ...failedJob, error: { ...failedJob.error, violations: [{ field: 'data.sizeBytes', rule: 'isInt', message: 'x' }] } };
    expect(describeFailure(new JobFailed(job))).toEqual({
      text: 'error volume.has_snapshots: the volume has 2 snapshots\n  data.sizeBytes: isInt',
      exitCode: 1,
    });
  });

  it('exits 2 for a usage error', () => {
    expect(describeFailure(new UsageError('give --pool or --zone'))).toEqual({ text: 'error: give --pool or --zone', exitCode: 2 });
  });
});
