import { SingleBar } from 'cli-progress';
import type { Job } from '@strata/client';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Shows a job's progress while it is followed. */
export interface JobProgress {
  update(job: Job): void;
  stop(): void;
}

/** "running 40%", or the status alone while the job reports no percentage. */
export function progressLine(job: Pick<Job, 'id' | 'status' | 'progress'>): string {
  const percent = job.status === 'succeeded' ? 100 : job.progress;
  return `job ${job.id}: ${job.status}${percent === null ? '' : ` ${Math.round(percent)}%`}`;
}

/**
 * A bar (cli-progress) on a terminal; elsewhere (a pipe, a log, CI) one plain line each time the
 * status or the percentage changes, so logs stay readable and short.
 */
export function jobProgress(stream: ProgressStream): JobProgress {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

class LineProgress implements JobProgress {
  private last = '';
  constructor(private readonly stream: ProgressStream) {}

  update(job: Job): void {
    const line = progressLine(job);
    if (line === this.last) return;
    this.last = line;
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}

class BarProgress implements JobProgress {
  private readonly bar: SingleBar;
  private started = false;

  constructor(stream: ProgressStream) {
    this.bar = new SingleBar({
      stream: stream as NodeJS.WritableStream,
      format: 'job {jobId} {status} |{bar}| {percentage}%',
      hideCursor: false, // a Ctrl-C mid-bar must not leave the terminal without a cursor
      clearOnComplete: false,
    });
  }

  update(job: Job): void {
    const value = job.status === 'succeeded' ? 100 : Math.round(job.progress ?? 0);
    if (!this.started) {
      this.bar.start(100, value, { jobId: job.id, status: job.status });
      this.started = true;
    } else {
      this.bar.update(value, { status: job.status });
    }
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}
