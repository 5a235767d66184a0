import { checkedSetting, ConfigError } from '@strata/service-kit';
import { BOOTSTRAP_KEY_VARIABLE, bootstrapKeyProblem } from '../domain/api-key-secret';

export interface AuthConfig {
  /** STRATA_BOOTSTRAP_ADMIN_KEY: the secret of the admin key ensured at start; null when unset. */
  readonly bootstrapKey: string | null;
}

/** A DI token: the configuration is a plain object. */
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/** Read at start: a bad value stops the service then, naming the variable, rather than locking everyone out later. */
export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const raw = env[BOOTSTRAP_KEY_VARIABLE]?.trim();
  if (raw === undefined || raw === '') return { bootstrapKey: null };
  const problem = bootstrapKeyProblem(raw);
  if (problem !== null) throw new ConfigError([problem]);
  return { bootstrapKey: raw };
}

// Checked at start with the other settings, before anything connects (the provider reads it
// again when the module starts).
checkedSetting(BOOTSTRAP_KEY_VARIABLE, (raw) => loadAuthConfig({ [BOOTSTRAP_KEY_VARIABLE]: raw }).bootstrapKey, null);
