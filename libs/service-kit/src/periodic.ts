/**
 * Background work on a schedule: every `intervalMs`, one run at a time (a run still going
 * when the next is due is not doubled), on an unref'd timer so it never holds the process
 * open; stop() waits for the run in progress. Errors are the work's to handle and log.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private current?: Promise<unknown>;

  constructor(
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runNow().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  /** Runs now, or joins the run in progress. */
  runNow(): Promise<unknown> {
    if (!this.current) this.current = this.work().finally(() => (this.current = undefined));
    return this.current;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }
}
