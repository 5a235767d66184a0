import { DomainError, ErrorCategory } from '@strata/kernel';

/**
 * A chunk the store does not hold. Stores throw it from getChunk so the engine can tell a
 * missing chunk (the backup is damaged) from a store that cannot be reached (try again).
 */
export class ChunkMissingError extends Error {
  override readonly name = 'ChunkMissingError';
  readonly code = 'backup.chunk_missing';
  constructor(readonly chunkId: string) {
    super(`chunk ${chunkId} is not on the target`);
  }
}

/** Duck-typed, like isDomainError, so a second copy of this module still matches. */
export function isChunkMissing(error: unknown): error is ChunkMissingError {
  return typeof error === 'object' && error !== null && (error as ChunkMissingError).code === 'backup.chunk_missing';
}

export const BackupDataErrors = {
  corrupt: (backupId: string, badChunks: readonly string[]) =>
    new DomainError(
      'backup.corrupt',
      ErrorCategory.IllegalState,
      `backup ${backupId} is damaged: ${badChunks.length} chunk(s) missing or not matching their hash: ${badChunks.slice(0, 5).join(', ')}${badChunks.length > 5 ? ', ...' : ''}`,
      { backupId, badChunks },
    ),
  manifestMissing: (backupId: string) =>
    new DomainError('backup.manifest_missing', ErrorCategory.NotFound, `backup ${backupId} has no manifest on its target`, { backupId }),
  manifestUnreadable: (backupId: string, why: string) =>
    new DomainError('backup.manifest_unreadable', ErrorCategory.IllegalState, `the manifest of backup ${backupId} cannot be read: ${why}`, {
      backupId,
    }),
};

/** Chunk ids are sha256 hex; anything else would not be one of ours (and must not become a path). */
export const CHUNK_ID = /^[0-9a-f]{64}$/;
