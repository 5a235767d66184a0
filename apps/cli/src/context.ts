import type { Command } from 'commander';
import { createStrataClient, type Job, type StrataClient } from '@strata/client';
import { JobFailed } from './output/errors';
import { jobProgress, type ProgressStream } from './output/progress';
import { renderFields } from './output/table';

export type OutputFormat = 'table' | 'json';

/** Where the CLI reads and writes: the process's streams and environment, or a test's. */
export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: (request: Request) => Promise<Response>;
}

interface GlobalOptions {
  url: string;
  apiKey?: string;
  tenant?: string;
  output: OutputFormat;
}

/** What every command works with: the client, the output format, and the streams. */
export class CommandContext {
  constructor(
    readonly client: StrataClient,
    readonly output: OutputFormat,
    private readonly io: Io,
  ) {}

  static of(command: Command, io: Io): CommandContext {
    const options = command.optsWithGlobals<GlobalOptions>();
    const client = createStrataClient({ url: options.url, apiKey: options.apiKey, tenant: options.tenant, fetch: io.fetch });
    return new CommandContext(client, options.output, io);
  }

  /** JSON: the API's answer as it came (2-space indent); table: what render makes of it. */
  print(data: unknown, render: () => string): void {
    this.io.stdout.write(`${this.output === 'json' ? JSON.stringify(data, null, 2) : render()}\n`);
  }

  /** A remark for people (stderr), never mixed into the output scripts read. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /**
   * A command's 202 answer: printed as it is, or, with wait, the job followed to its end
   * (progress on stderr) and printed; a failed job throws JobFailed (exit code 1).
   */
  async accepted(answer: { jobId: string } & Record<string, unknown>, wait: boolean, timeoutSeconds?: number): Promise<Job | undefined> {
    if (!wait) {
      this.print(answer, () => renderFields(Object.entries(answer).map(([key, value]) => [key, String(value)])));
      return undefined;
    }
    const job = await this.follow(answer.jobId, timeoutSeconds);
    this.print(job, () => renderJob(job));
    return job;
  }

  /** Polls the job to its end, showing progress on stderr; throws JobFailed when it failed. */
  async follow(jobId: string, timeoutSeconds = 600): Promise<Job> {
    const progress = jobProgress(this.io.stderr);
    let job: Job;
    try {
      job = await this.client.waitForJob(jobId, { onProgress: (j) => progress.update(j), timeoutMs: timeoutSeconds * 1000 });
    } finally {
      progress.stop();
    }
    if (job.status === 'failed') {
      // Scripts reading JSON get the failed job too; the error line goes to stderr either way.
      if (this.output === 'json') this.print(job, () => '');
      throw new JobFailed(job);
    }
    return job;
  }
}

export function renderJob(job: Job): string {
  return renderFields([
    ['id', job.id],
    ['status', job.status],
    ['command', job.commandType],
    ['aggregate', job.aggregateId],
    ['tenant', job.tenant],
    ['progress', job.progress === null ? null : `${Math.round(job.progress)}%`],
    ['result', job.result ? JSON.stringify(job.result) : null],
    ['error', job.error ? `${job.error.code}: ${job.error.message}` : null],
    ['created', job.createdAt],
    ['updated', job.updatedAt],
  ]);
}
