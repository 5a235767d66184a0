import { checkedSetting, ConfigError } from '@strata/service-kit';

/** DI token: the image service's base URL, where upload URLs point (STRATA_IMAGE_SERVICE_URL). */
export const IMAGE_SERVICE_URL = Symbol('IMAGE_SERVICE_URL');
export const DEFAULT_IMAGE_SERVICE_URL = 'http://127.0.0.1:8084';

/**
 * Read once, when the module starts (its provider's factory): a bad value stops the
 * orchestrator at start with the variable's name, like the rest of its configuration,
 * instead of handing out upload URLs nobody can reach.
 */
export function imageServiceUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.STRATA_IMAGE_SERVICE_URL?.trim() || DEFAULT_IMAGE_SERVICE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError([`STRATA_IMAGE_SERVICE_URL: "${raw}" is not a URL (e.g. ${DEFAULT_IMAGE_SERVICE_URL})`]);
  }
  const problems: string[] = [];
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push('STRATA_IMAGE_SERVICE_URL: must be an http(s) URL');
  // Handed to every uploader: it must not carry credentials of its own.
  if (url.username || url.password) problems.push('STRATA_IMAGE_SERVICE_URL: must not carry user:password@');
  if (url.search || url.hash) problems.push('STRATA_IMAGE_SERVICE_URL: must have no query or fragment');
  if (problems.length) throw new ConfigError(problems);
  return url.toString().replace(/\/+$/, '');
}

// Checked at start with the other settings (the provider reads it again when the module starts).
checkedSetting('STRATA_IMAGE_SERVICE_URL', (raw) => imageServiceUrlFromEnv({ STRATA_IMAGE_SERVICE_URL: raw }), DEFAULT_IMAGE_SERVICE_URL);
