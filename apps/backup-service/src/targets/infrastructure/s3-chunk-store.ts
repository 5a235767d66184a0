import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import pRetry from 'p-retry';
import { ChunkMissingError, CHUNK_ID } from '../../engine/chunk-errors';
import type { ChunkStore, StoredChunk } from '../../engine/ports';

/** An S3 target's settings with the secret opened (never recorded, never logged). */
export interface S3TargetSettings {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly prefix: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle: boolean;
}

export function createS3Client(settings: S3TargetSettings): S3Client {
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // The SDK's default flexible checksums send bodies aws-chunked, which some S3-compatible
    // servers (s3rver, older Ceph) store framing and all: checksums only where the API demands them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Retries are ours (withS3Retry), so they are counted and bounded in one place.
    maxAttempts: 1,
    // A target that does not answer fails the call rather than hanging the backup.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  });
}

interface S3ErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The S3 error code (NoSuchBucket, AccessDenied, ...) or the network error code, for messages. */
export function s3ErrorCode(error: unknown): string {
  const e = (error ?? {}) as S3ErrorShape;
  return e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? 'unknown';
}

export function s3Status(error: unknown): number | undefined {
  return ((error ?? {}) as S3ErrorShape).$metadata?.httpStatusCode;
}

export function isS3NotFound(error: unknown): boolean {
  const code = s3ErrorCode(error);
  return code === 'NotFound' || code === 'NoSuchKey' || s3Status(error) === 404;
}

const TRANSIENT_CODES = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);

export function isS3Transient(error: unknown): boolean {
  const status = s3Status(error);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (((error ?? {}) as S3ErrorShape).$retryable) return true;
  return TRANSIENT_CODES.has(s3ErrorCode(error));
}

/** Transient failures (network, 5xx, throttling) are retried in place; the rest is the caller's. */
export function withS3Retry<T>(call: () => Promise<T>, retries = 4): Promise<T> {
  return pRetry(call, { retries, minTimeout: 200, maxTimeout: 3000, shouldRetry: ({ error }) => isS3Transient(error) });
}

/**
 * An S3-compatible bucket as a chunk store:
 *   <prefix>chunks/<first 2 hex>/<id>     compressed chunks
 *   <prefix>manifests/<backupId>.json
 * A PUT is atomic in S3, so a reader never sees half an object. Bodies are Buffers: a
 * streamed upload would need a known length or aws-chunked encoding (see createS3Client).
 */
export class S3ChunkStore implements ChunkStore {
  private readonly client: S3Client;

  constructor(private readonly settings: S3TargetSettings) {
    this.client = createS3Client(settings);
  }

  async hasChunk(id: string): Promise<boolean> {
    try {
      await withS3Retry(() => this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.chunkKey(id) })));
      return true;
    } catch (error) {
      if (isS3NotFound(error)) return false;
      throw error;
    }
  }

  async putChunk(id: string, compressed: Buffer): Promise<void> {
    await this.put(this.chunkKey(id), compressed, 'application/octet-stream');
  }

  async getChunk(id: string): Promise<Buffer> {
    const body = await this.get(this.chunkKey(id));
    if (body === null) throw new ChunkMissingError(id);
    return body;
  }

  async deleteChunk(id: string): Promise<void> {
    await this.delete(this.chunkKey(id));
  }

  async *listChunkIds(): AsyncIterable<string> {
    for await (const chunk of this.listChunks()) yield chunk.id;
  }

  async *listChunks(): AsyncIterable<StoredChunk> {
    const base = `${this.settings.prefix}chunks/`;
    for await (const { key, modifiedAt } of this.listObjects(base)) {
      const [dir, id] = key.slice(base.length).split('/');
      if (id !== undefined && CHUNK_ID.test(id) && id.startsWith(dir)) yield { id, modifiedAt };
    }
  }

  async putManifest(backupId: string, body: Buffer): Promise<void> {
    await this.put(this.manifestKey(backupId), body, 'application/json');
  }

  getManifest(backupId: string): Promise<Buffer | null> {
    return this.get(this.manifestKey(backupId));
  }

  async deleteManifest(backupId: string): Promise<void> {
    await this.delete(this.manifestKey(backupId));
  }

  async listManifestIds(): Promise<string[]> {
    const base = `${this.settings.prefix}manifests/`;
    const ids: string[] = [];
    for await (const key of this.listKeys(base)) {
      const name = key.slice(base.length);
      if (!name.includes('/') && name.endsWith('.json')) ids.push(name.slice(0, -'.json'.length));
    }
    return ids.sort();
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.client.destroy();
  }

  private async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await withS3Retry(() =>
      this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, Body: body, ContentLength: body.length, ContentType: contentType })),
    );
  }

  private async get(key: string): Promise<Buffer | null> {
    try {
      return await withS3Retry(async () => {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }));
        if (!out.Body) return Buffer.alloc(0);
        return Buffer.from(await out.Body.transformToByteArray());
      });
    } catch (error) {
      if (isS3NotFound(error)) return null;
      throw error;
    }
  }

  private async delete(key: string): Promise<void> {
    await withS3Retry(() => this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key })));
  }

  private async *listKeys(prefix: string): AsyncIterable<string> {
    for await (const object of this.listObjects(prefix)) yield object.key;
  }

  /** LastModified is in every listing entry, so garbage collection needs no HEAD per chunk. */
  private async *listObjects(prefix: string): AsyncIterable<{ key: string; modifiedAt: Date }> {
    let token: string | undefined;
    do {
      const page = await withS3Retry(() =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 })),
      );
      // A listing without LastModified (not seen in practice) counts as just written: garbage collection then spares it.
      for (const object of page.Contents ?? []) if (object.Key) yield { key: object.Key, modifiedAt: object.LastModified ?? new Date() };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private chunkKey(id: string): string {
    if (!CHUNK_ID.test(id)) throw new RangeError(`not a chunk id: ${JSON.stringify(id)}`);
    return `${this.settings.prefix}chunks/${id.slice(0, 2)}/${id}`;
  }

  private manifestKey(backupId: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(backupId)) throw new RangeError(`not a backup id: ${JSON.stringify(backupId)}`);
    return `${this.settings.prefix}manifests/${backupId}.json`;
  }
}
