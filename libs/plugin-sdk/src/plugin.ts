import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { PrimaryStorageDriver } from './driver';
import { BackendError, BackendErrorCode, type FieldViolation } from './errors';
import type { PluginManifest } from './manifest';

/** What the host process hands every driver it creates. */
export interface DriverContext {
  /** Short id of this Strata installation; goes into names on shared backends. */
  readonly installationId: string;
}

/**
 * A backend as the registry holds it. Methods (not function properties) on
 * purpose: their parameters are bivariant, which lets plugins with different
 * Config types share one `readonly BackendPlugin[]`. Always feed createDriver
 * the result of the same plugin's parseConfig (createDriverFromConfig does).
 */
export interface BackendPlugin<Config extends object = object> {
  readonly manifest: PluginManifest<Config>;
  /** The validated config, or a BackendError kind 'invalid' naming each bad field and rule. */
  parseConfig(raw: unknown): Config;
  /**
   * The pool URL formats an admin may enter instead of a config object (the seeds'
   * powerflex://user:pass@gateway/pool, storpool://token@host:port/template, ...), turned
   * into a raw config for parseConfig; absent when the plugin has no URL form. Throws a
   * BackendError kind 'invalid' that names the URL part at fault (never its secrets).
   */
  parseUrl?(url: string): Record<string, unknown>;
  /** Builds the driver without any I/O; the caller then calls connect(). */
  createDriver(config: Config, context: DriverContext): PrimaryStorageDriver;
}

/**
 * Validates raw pool configuration against a class-validator class. Unknown
 * keys are violations too, so that a misspelt setting is reported rather than
 * ignored. Messages name fields and rules, never values (they may be secrets).
 */
export function parseConfigWith<Config extends object>(
  manifest: Pick<PluginManifest<Config>, 'name' | 'configSchema'>,
  raw: unknown,
): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw configError(manifest.name, [
      { field: 'config', rule: 'isObject', message: 'config must be an object of settings' },
    ]);
  }
  const config = plainToInstance(manifest.configSchema, raw);
  const violations = toViolations(
    validateSync(config, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }),
  );
  if (violations.length > 0) throw configError(manifest.name, violations);
  return config;
}

/** Parses with the plugin's own schema and builds its driver: the type-safe path through a registry entry. */
export function createDriverFromConfig(
  plugin: BackendPlugin,
  rawConfig: unknown,
  context: DriverContext,
): PrimaryStorageDriver {
  return plugin.createDriver(plugin.parseConfig(rawConfig), context);
}

export const REDACTED = '***';

/**
 * A copy of the config fit for logs, events and the API: every secret key
 * that is present has its value replaced by '***'. Works on raw (unparsed)
 * config too, because a config that failed to parse is still logged.
 */
export function redactConfig(
  manifest: Pick<PluginManifest, 'secretConfigKeys'>,
  config: object,
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const key of manifest.secretConfigKeys) {
    if (Object.prototype.hasOwnProperty.call(copy, key)) copy[key] = REDACTED;
  }
  return copy;
}

function configError(pluginName: string, violations: readonly FieldViolation[]): BackendError {
  const summary = violations.map((v) => `${v.field}: ${v.message} (${v.rule})`).join('; ');
  return new BackendError('invalid', BackendErrorCode.ConfigInvalid, `${pluginName} config is invalid: ${summary}`, {
    details: { violations },
  });
}

/** Flattens class-validator's tree into one violation per field and rule (nested fields as 'a.b'). */
function toViolations(errors: readonly ValidationError[], prefix = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const error of errors) {
    const field = prefix === '' ? error.property : `${prefix}.${error.property}`;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      out.push({ field, rule, message });
    }
    if (error.children !== undefined && error.children.length > 0) {
      out.push(...toViolations(error.children, field));
    }
  }
  return out;
}
