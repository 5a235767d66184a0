import { DomainError, ErrorCategory } from '@strata/kernel';

/** Another writer appended to the stream first; reload and decide again. */
export class ConcurrencyError extends DomainError {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(
      'event_store.concurrency',
      ErrorCategory.Conflict,
      `stream ${streamId} is no longer at version ${expectedVersion}`,
      { streamId, expectedVersion },
    );
  }
}

/** The inbox already holds this message for this consumer: its effect is recorded. */
export class DuplicateMessageError extends DomainError {
  override readonly name = 'DuplicateMessageError';
  constructor(
    readonly consumer: string,
    readonly messageId: string,
  ) {
    super('event_store.duplicate_message', ErrorCategory.Conflict, `message ${messageId} was already handled by ${consumer}`, {
      consumer,
      messageId,
    });
  }
}

interface PgError {
  code?: string;
  constraint?: string;
  driverError?: PgError;
}

/** Unique violations surface from TypeORM wrapped or unwrapped depending on the call path. */
export function uniqueViolation(error: unknown): string | undefined {
  const e = error as PgError;
  const inner = e?.driverError ?? e;
  return inner?.code === '23505' ? (inner.constraint ?? '') : undefined;
}
