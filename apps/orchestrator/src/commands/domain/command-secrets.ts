import { backendPlugins } from '@strata/backends';
import type { CommandType } from './command-request';

/** How a credential is shown wherever it is kept after it has been sent. */
export const REDACTED = '***';

/** Every secret key of every installed backend's config (a pool's plugin is known only per request). */
const poolSecretKeys = [...new Set(backendPlugins.flatMap((p) => p.manifest.secretConfigKeys))].sort();

/**
 * Where each command type carries a credential the receiving service seals: paths into the
 * envelope. The S3 secret of AddBackupTarget; a pool's secret config keys, and its pool URL
 * (which may hold a token or password: redacted whole). The orchestrator keeps no credential:
 * it passes through in the command, and the outbox row is redacted once published.
 */
export const COMMAND_SECRET_PATHS: Readonly<Partial<Record<CommandType, readonly (readonly string[])[]>>> = {
  AddBackupTarget: [['data', 's3', 'secretAccessKey']],
  AddStoragePool: [['data', 'url'], ...poolSecretKeys.map((key) => ['data', 'config', key])],
};

export function secretPathsOf(type: string): readonly (readonly string[])[] {
  return COMMAND_SECRET_PATHS[type as CommandType] ?? [];
}

/** The value at a path of a JSON object, or undefined. */
function at(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, key) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** The credentials a command carries, as text (to keep them out of anything shown or stored). */
export function secretsOf(envelope: { type: string }): string[] {
  return secretPathsOf(envelope.type)
    .map((path) => at(envelope, path))
    .filter((v): v is string => typeof v === 'string' && v.length > 0 && v !== REDACTED);
}
