import { Logger } from '@nestjs/common';
import { BackgroundRuns, everyTenth } from './background-runs';
import { BackupHost } from './backup-host';

describe('everyTenth', () => {
  it('reports only when another tenth is done', async () => {
    const seen: number[] = [];
    const report = everyTenth(async (done) => void seen.push(done));
    for (const done of [1, 5, 10, 11, 19, 20, 55, 56, 100]) await report({ bytesDone: done, bytesTotal: 100 });
    expect(seen).toEqual([10, 20, 55, 100]);
  });
});

describe('BackgroundRuns', () => {
  it('runs one job per id at a time; shutdown aborts and waits', async () => {
    const runs = new BackgroundRuns(new Logger('test'));
    let aborted = false;
    const job = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve())));
    expect(runs.start('a', job)).toBe(true);
    expect(runs.start('a', job)).toBe(false);
    expect(runs.isRunning('a')).toBe(true);
    await runs.stopAll();
    expect(aborted).toBe(true);
    expect(runs.isRunning('a')).toBe(false);
  });
});

describe('BackupHost', () => {
  const saved = process.env.STRATA_BACKUP_HOST_ID;
  afterEach(() => {
    if (saved === undefined) delete process.env.STRATA_BACKUP_HOST_ID;
    else process.env.STRATA_BACKUP_HOST_ID = saved;
  });

  it('reads STRATA_BACKUP_HOST_ID once; unset is allowed (backups are refused), a non-id stops the start', () => {
    delete process.env.STRATA_BACKUP_HOST_ID;
    expect(new BackupHost().hostId).toBeNull();
    process.env.STRATA_BACKUP_HOST_ID = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
    expect(new BackupHost().hostId).toBe('0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66');
    process.env.STRATA_BACKUP_HOST_ID = 'backup-host-1';
    expect(() => new BackupHost()).toThrow(/STRATA_BACKUP_HOST_ID/);
  });
});
