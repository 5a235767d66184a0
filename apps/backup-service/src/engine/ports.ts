/**
 * The seams between the backup service's data path (chunk stores, the chunking engine) and its
 * processes (backups and restores across services). The processes depend only on these.
 */

export interface StoredChunk {
  readonly id: string;
  /** The file's mtime (directory) or the object's LastModified (S3). */
  readonly modifiedAt: Date;
}

/** One backup target's storage of content-addressed chunks and per-backup manifests. */
export interface ChunkStore {
  /** Whether a chunk with this id (sha256 hex of its uncompressed bytes) is stored. */
  hasChunk(id: string): Promise<boolean>;
  /** Stores a compressed chunk under its id; storing an id again is harmless (same content). */
  putChunk(id: string, compressed: Buffer): Promise<void>;
  getChunk(id: string): Promise<Buffer>;
  deleteChunk(id: string): Promise<void>;
  listChunkIds(): AsyncIterable<string>;
  /** Every stored chunk with when it was last written: garbage collection spares young ones (a backup writes chunks before its manifest). */
  listChunks(): AsyncIterable<StoredChunk>;
  putManifest(backupId: string, body: Buffer): Promise<void>;
  /** Null when there is no manifest for the backup. */
  getManifest(backupId: string): Promise<Buffer | null>;
  deleteManifest(backupId: string): Promise<void>;
  listManifestIds(): Promise<string[]>;
}

/** What a backup is on its target: every chunk of the volume in order; null for an all-zero chunk (not stored). */
export interface BackupManifest {
  readonly formatVersion: 1;
  readonly backupId: string;
  readonly volumeId: string;
  readonly parentBackupId: string | null;
  readonly kind: 'full' | 'incremental';
  readonly sizeBytes: number;
  readonly chunkSizeBytes: number;
  /** 'zstd' (node:zlib). */
  readonly compression: 'zstd';
  readonly chunks: readonly (string | null)[];
  readonly createdAt: string;
}

export interface Progress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface BackupRun {
  readonly backupId: string;
  readonly volumeId: string;
  readonly parentBackupId: string | null;
  readonly kind: 'full' | 'incremental';
  /** The device (or file) to read. */
  readonly sourcePath: string;
  readonly sizeBytes: number;
  readonly chunkSizeBytes: number;
  readonly createdAt: string;
  readonly store: ChunkStore;
  readonly onProgress?: (progress: Progress) => Promise<void>;
  readonly signal?: AbortSignal;
}

export interface BackupResult {
  readonly chunks: number;
  readonly newChunks: number;
  readonly reusedChunks: number;
  readonly zeroChunks: number;
  readonly bytesWritten: number;
  readonly manifestSha256: string;
}

export interface RestoreRun {
  readonly backupId: string;
  readonly store: ChunkStore;
  /** The device (or file) to write. */
  readonly targetPath: string;
  /** Write zeros for all-zero chunks (over an existing volume); a new volume reads as zeros already. */
  readonly writeZeros: boolean;
  readonly onProgress?: (progress: Progress) => Promise<void>;
  readonly signal?: AbortSignal;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly chunksChecked: number;
  /** Missing chunks, and chunks whose content does not hash to their id (and 'manifest' when the manifest itself is missing or unreadable). */
  readonly badChunks: readonly string[];
}

/** The data path: chunk, hash, compress, store; and back. */
export abstract class BackupEngine {
  /** Reads the source, writes the chunks the store lacks and the manifest, then verifies what it wrote. */
  abstract backup(run: BackupRun): Promise<BackupResult>;
  abstract restore(run: RestoreRun): Promise<BackupManifest>;
  abstract verify(backupId: string, store: ChunkStore): Promise<VerifyResult>;
  abstract readManifest(backupId: string, store: ChunkStore): Promise<BackupManifest | null>;
}

/** A target's chunk store, with its credentials opened (implemented by the targets context). */
export abstract class ChunkStores {
  abstract storeFor(targetId: string): Promise<ChunkStore>;
}
