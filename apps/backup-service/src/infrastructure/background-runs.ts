import { Logger } from '@nestjs/common';

/**
 * The data steps running in this process: at most one per backup or restore (a second start
 * while one runs does nothing), never inside a Kafka handler. Shutdown aborts them and waits;
 * an aborted run records nothing, so the recovery at the next start runs it again.
 */
export class BackgroundRuns {
  private readonly runs = new Map<string, { readonly abort: AbortController; readonly done: Promise<void> }>();

  constructor(private readonly log: Logger) {}

  isRunning(id: string): boolean {
    return this.runs.has(id);
  }

  /** False when it runs already. */
  start(id: string, work: (signal: AbortSignal) => Promise<void>): boolean {
    if (this.runs.has(id)) return false;
    const abort = new AbortController();
    const done = work(abort.signal)
      .catch((error: unknown) => this.log.error(`${id}: ${(error as Error).message}`))
      .finally(() => this.runs.delete(id));
    this.runs.set(id, { abort, done });
    return true;
  }

  async stopAll(): Promise<void> {
    const running = [...this.runs.values()];
    for (const run of running) run.abort.abort();
    await Promise.all(running.map((r) => r.done));
  }
}

/** Calls `report` when another tenth is done, so the decider (which keeps the same rule) is asked rarely. */
export function everyTenth(report: (done: number, total: number) => Promise<void>): (p: { bytesDone: number; bytesTotal: number }) => Promise<void> {
  let last = 0;
  return async ({ bytesDone, bytesTotal }) => {
    if (bytesTotal <= 0) return;
    const tenth = Math.floor((bytesDone * 10) / bytesTotal);
    if (tenth <= last) return;
    last = tenth;
    await report(bytesDone, bytesTotal);
  };
}
