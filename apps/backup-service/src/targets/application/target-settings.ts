import type { AddBackupTargetData, BackupTargetKind } from '@strata/contracts';
import { DomainError, ErrorCategory } from '@strata/kernel';
import type { S3TargetSettings } from '../infrastructure/s3-chunk-store';

/** A target's settings as the data path needs them (credentials opened). */
export type TargetSettings = { readonly kind: 'directory'; readonly path: string } | ({ readonly kind: 's3' } & S3TargetSettings);

export const REDACTED = '***';
/** The settings that are credentials: sealed in backup.target_secrets, "***" everywhere else. */
const SECRET_KEYS = ['secretAccessKey'] as const;

/** The command's settings with the defaults filled in (region us-east-1, path-style, a prefix ending in '/'). */
export function settingsFromCommand(data: AddBackupTargetData): TargetSettings {
  if (data.kind === 'directory') {
    // The validator has made sure the settings of the kind are there.
    const path = data.directory!.path.replace(/\/+$/, '') || '/';
    return { kind: 'directory', path };
  }
  const s3 = data.s3!;
  const prefix = s3.prefix ?? '';
  return {
    kind: 's3',
    endpoint: s3.endpoint.replace(/\/+$/, ''),
    region: s3.region ?? 'us-east-1',
    bucket: s3.bucket,
    prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: s3.forcePathStyle ?? true,
  };
}

/** What may be recorded and shown (credentials as "***"), and the credentials to seal. */
export function splitTargetSecrets(settings: TargetSettings): { config: Record<string, unknown>; secrets: Record<string, string> } {
  const { kind: _kind, ...rest } = settings;
  const config: Record<string, unknown> = { ...rest };
  const secrets: Record<string, string> = {};
  for (const key of SECRET_KEYS) {
    if (key in config) {
      secrets[key] = String(config[key]);
      config[key] = REDACTED;
    }
  }
  return { config, secrets };
}

/** The settings back from a recorded (redacted) config and the opened secrets. */
export function settingsFromRecord(targetId: string, kind: BackupTargetKind, config: Readonly<Record<string, unknown>>, secrets: Record<string, unknown>): TargetSettings {
  if (kind === 'directory') return { kind, path: String(config.path) };
  const secretAccessKey = secrets.secretAccessKey;
  if (typeof secretAccessKey !== 'string') {
    throw new DomainError('backuptarget.secret_missing', ErrorCategory.IllegalState, `backup target ${targetId} has no sealed credentials`, { targetId });
  }
  return {
    kind,
    endpoint: String(config.endpoint),
    region: String(config.region),
    bucket: String(config.bucket),
    prefix: String(config.prefix ?? ''),
    accessKeyId: String(config.accessKeyId),
    secretAccessKey,
    forcePathStyle: config.forcePathStyle !== false,
  };
}
