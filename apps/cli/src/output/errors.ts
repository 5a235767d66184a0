import { StrataApiError, type Job, type Violation } from '@strata/client';
import { UsageError } from './usage-error';

/** The exit codes: 0 done, 1 refused or failed (API error, failed job), 2 a command line the CLI cannot use. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** "error <code>: <message>" and one "  field: rule" line per violation. */
export function formatApiError(code: string, message: string, violations: readonly Violation[] = []): string {
  return [`error ${code}: ${message}`, ...violations.map((v) => `  ${v.field}: ${v.rule}`)].join('\n');
}

/** What to print for anything a command threw, and the exit code that goes with it. */
export function describeFailure(error: unknown): { text: string; exitCode: number } {
  if (error instanceof StrataApiError) return { text: formatApiError(error.code, error.message, error.violations), exitCode: EXIT.failed };
  if (error instanceof JobFailed) {
    const failure = error.job.error;
    const text = failure ? formatApiError(failure.code, failure.message, failure.violations) : formatApiError('job.failed', error.message);
    return { text, exitCode: EXIT.failed };
  }
  if (error instanceof UsageError) return { text: `error: ${error.message}`, exitCode: EXIT.usage };
  const message = error instanceof Error ? error.message : String(error);
  return { text: `error: ${message}`, exitCode: EXIT.failed };
}

/** A followed job that ended failed: printed with the job's own error code, exit code 1. */
export class JobFailed extends Error {
  override readonly name = 'JobFailed';
  constructor(readonly job: Job) {
    super(`job ${job.id} failed`);
  }
}
