import { DomainError, ErrorCategory } from '@strata/kernel';

/** One rebuild at a time: a second would empty the tables under the first. */
export function rebuildRunning(jobId: string | null): DomainError {
  return new DomainError('read_models.rebuild_running', ErrorCategory.Conflict, `a read model rebuild is already running${jobId ? ` (job ${jobId})` : ''}`, { jobId });
}

/** The rebuild could not start (Kafka or PostgreSQL did not answer): nothing was emptied, the old generation stays. */
export function rebuildNotStarted(reason: string): DomainError {
  return new DomainError('read_models.rebuild_failed', ErrorCategory.Backend, `the read model rebuild did not start: ${reason}`, {});
}
