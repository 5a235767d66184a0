import type { Job } from '@strata/client';
import { jobProgress, progressLine } from './progress';

const job = (status: Job['status'], progress: number | null): Job => ({
  id: 'job-1',
  status,
  commandType: 'RegisterTemplate',
  aggregateId: null,
  tenant: null,
  result: null,
  error: null,
  progress,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, write: (text: string) => chunks.push(text) }, text: () => chunks.join('') };
}

describe('job progress off a terminal', () => {
  it('writes one plain line per change of status or percentage, and nothing for a repeat', () => {
    const out = capture(false);
    const progress = jobProgress(out.stream);
    for (const j of [job('accepted', null), job('running', null), job('running', 12.4), job('running', 12.4), job('running', 60), job('succeeded', 60)]) {
      progress.update(j);
    }
    progress.stop();
    expect(out.text()).toBe(['job job-1: accepted', 'job job-1: running', 'job job-1: running 12%', 'job job-1: running 60%', 'job job-1: succeeded 100%', ''].join('\n'));
  });

  it('shows a failed job at the percentage it reached', () => {
    expect(progressLine(job('failed', 30))).toBe('job job-1: failed 30%');
  });
});

describe('job progress on a terminal', () => {
  it('draws a bar with the percentage and status (not plain lines)', () => {
    const out = capture(true);
    const progress = jobProgress(out.stream);
    progress.update(job('running', 50));
    progress.stop();
    expect(out.text()).toContain('50%');
    expect(out.text()).toContain('running');
    expect(out.text()).not.toContain('job job-1: running 50%\n');
  });
});
