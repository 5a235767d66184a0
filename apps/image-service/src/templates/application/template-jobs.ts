import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

interface Running {
  readonly abort: AbortController;
  readonly done: Promise<unknown>;
}

/**
 * One piece of background work per template at a time, in this process: a download, an
 * upload, a copy or a deletion. A second request for a busy template joins nothing and
 * starts nothing (recovery comes back later); a deletion interrupts what runs first.
 * Shutdown aborts everything: the work is left to recovery at the next start.
 */
@Injectable()
export class TemplateJobs implements OnModuleDestroy {
  private readonly log = new Logger(TemplateJobs.name);
  private readonly running = new Map<string, Running>();
  private stopping = false;

  busy(templateId: string): boolean {
    return this.running.has(templateId);
  }

  /** Starts `work` unless the template is busy. The promise never rejects: a failure is logged and resolves to undefined. */
  run<T>(templateId: string, work: (signal: AbortSignal) => Promise<T>): { started: true; done: Promise<T | undefined> } | { started: false } {
    if (this.stopping || this.running.has(templateId)) return { started: false };
    const abort = new AbortController();
    const done = work(abort.signal)
      .catch((error: unknown): undefined => {
        if (!abort.signal.aborted) this.log.error(`template ${templateId}: background work stopped: ${(error as Error).message}`);
        return undefined;
      })
      .finally(() => this.running.delete(templateId));
    this.running.set(templateId, { abort, done });
    return { started: true, done };
  }

  /** Stops the template's work, if any, and waits until it has let go of its files. */
  async interrupt(templateId: string): Promise<void> {
    const current = this.running.get(templateId);
    if (!current) return;
    current.abort.abort();
    await current.done;
  }

  /**
   * First thing at shutdown, before the consumers stop (which can take seconds; Nest stops
   * the most dependent providers first), so no transfer outlives its service's connections.
   * Work asked for after this is left to recovery.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    for (const r of this.running.values()) r.abort.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }
}
