import { randomBytes } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCategory } from '@strata/kernel';
import type { TargetSettings } from '../application/target-settings';
import { createS3Client, isS3NotFound, s3ErrorCode, s3Status, withS3Retry, type S3TargetSettings } from './s3-chunk-store';

const S3_ACCESS_CODES = new Set(['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AllAccessDisabled']);

function refusal(code: 'backuptarget.unreachable' | 'backuptarget.access_denied' | 'backuptarget.not_writable', field: string, message: string, cause: string): DomainError {
  const category = code === 'backuptarget.unreachable' ? ErrorCategory.Backend : ErrorCategory.Validation;
  return new DomainError(code, category, `${field}: ${message}`, { violations: [{ field, rule: code.split('.')[1], message }], cause });
}

/**
 * Reaches a target before it is recorded, so a target in the log is one that worked when it
 * was added: a directory must exist and take a file; a bucket must exist and take an object.
 * Refusals name the command field at fault and the error code met, never a credential.
 */
@Injectable()
export class TargetProbe {
  async check(settings: TargetSettings): Promise<void> {
    if (settings.kind === 'directory') await this.checkDirectory(settings.path);
    else await this.checkBucket(settings);
  }

  private async checkDirectory(path: string): Promise<void> {
    const field = 'data.directory.path';
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      if (code === 'ENOENT' || code === 'ENOTDIR') throw refusal('backuptarget.unreachable', field, `${path} does not exist`, code);
      throw refusal('backuptarget.unreachable', field, `${path} cannot be read (${code})`, code);
    }
    if (!info.isDirectory()) throw refusal('backuptarget.unreachable', field, `${path} is not a directory`, 'ENOTDIR');
    // A probe file written, synced and deleted: the one way to know writes work (read-only mounts, permissions, full disks).
    const probe = join(path, `.strata-probe-${randomBytes(6).toString('hex')}`);
    try {
      const file = await open(probe, 'wx');
      try {
        await file.writeFile('strata');
        await file.sync();
      } finally {
        await file.close();
      }
      await rm(probe);
    } catch (error) {
      await rm(probe, { force: true }).catch(() => undefined);
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      throw refusal('backuptarget.not_writable', field, `${path} does not take files (${code})`, code);
    }
  }

  private async checkBucket(settings: S3TargetSettings): Promise<void> {
    const client = createS3Client(settings);
    const scrub = (text: string) => text.split(settings.secretAccessKey).join('***');
    try {
      try {
        await withS3Retry(() => client.send(new HeadBucketCommand({ Bucket: settings.bucket })), 2);
      } catch (error) {
        throw this.bucketRefusal(await this.withCode(client, settings, error), settings, scrub);
      }
      const key = `${settings.prefix}.strata-probe-${randomBytes(6).toString('hex')}`;
      try {
        await withS3Retry(() => client.send(new PutObjectCommand({ Bucket: settings.bucket, Key: key, Body: Buffer.from('strata'), ContentLength: 6 })), 2);
        await withS3Retry(() => client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key })), 2);
      } catch (error) {
        const code = s3ErrorCode(error);
        if (S3_ACCESS_CODES.has(code) || s3Status(error) === 403) {
          throw refusal('backuptarget.access_denied', 'data.s3.accessKeyId', `the key ${settings.accessKeyId} may not write to bucket ${settings.bucket} (${code})`, code);
        }
        throw refusal('backuptarget.unreachable', 'data.s3.bucket', `bucket ${settings.bucket} does not take objects (${code}): ${scrub(messageOf(error))}`, code);
      }
    } finally {
      client.destroy();
    }
  }

  /**
   * A HEAD answer has no body, so a refusal comes without its S3 code (InvalidAccessKeyId,
   * SignatureDoesNotMatch, ...): a GET of the same bucket gets the code to name.
   */
  private async withCode(client: S3Client, settings: S3TargetSettings, error: unknown): Promise<unknown> {
    if (s3Status(error) !== 403) return error;
    try {
      await client.send(new ListObjectsV2Command({ Bucket: settings.bucket, MaxKeys: 1 }));
      return error;
    } catch (detailed) {
      return s3Status(detailed) === 403 ? detailed : error;
    }
  }

  private bucketRefusal(error: unknown, settings: S3TargetSettings, scrub: (text: string) => string): DomainError {
    const code = s3ErrorCode(error);
    const status = s3Status(error);
    if (status === undefined) {
      // No HTTP answer at all: the endpoint is wrong or down.
      return refusal('backuptarget.unreachable', 'data.s3.endpoint', `${settings.endpoint} cannot be reached (${code}): ${scrub(messageOf(error))}`, code);
    }
    if (isS3NotFound(error) || code === 'NoSuchBucket') {
      return refusal('backuptarget.unreachable', 'data.s3.bucket', `bucket ${settings.bucket} does not exist at ${settings.endpoint} (${code === 'NotFound' ? 'NoSuchBucket' : code})`, code);
    }
    if (S3_ACCESS_CODES.has(code) || status === 403) {
      return refusal('backuptarget.access_denied', 'data.s3.accessKeyId', `the key ${settings.accessKeyId} is refused for bucket ${settings.bucket} (${code === 'Forbidden' || code === 'Unknown' ? `HTTP ${status}` : code})`, code);
    }
    if (status === 301 || code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed') {
      return refusal('backuptarget.unreachable', 'data.s3.region', `bucket ${settings.bucket} is not in region ${settings.region} (${code})`, code);
    }
    return refusal('backuptarget.unreachable', 'data.s3.endpoint', `${settings.endpoint} answered HTTP ${status} (${code}): ${scrub(messageOf(error))}`, code);
  }
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
