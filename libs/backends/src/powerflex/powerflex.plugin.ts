import { BackendError, BackendErrorCode, parseConfigWith, type BackendPlugin, type FieldViolation } from '@strata/plugin-sdk';
import type { PowerFlexConfig } from './powerflex.config';
import { PowerFlexDriver } from './powerflex.driver';
import { powerflexManifest } from './powerflex.manifest';

const URL_FORM = 'powerflex://<user>:<url-encoded password>@<gateway>[:port]/<storage pool>[?protocol=http]';

/**
 * The seed's pool URL, powerflex://user:pass@gateway/pool, as a raw config. The gateway is
 * reached over https unless ?protocol=http asks otherwise (a simulator or a lab). Errors
 * name the part at fault, never the URL: it holds the password.
 */
export function parsePowerFlexUrl(url: string): Record<string, unknown> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw urlError('url', 'isUrl', `the pool URL is not a URL; expected ${URL_FORM}`);
  }
  if (parsed.protocol !== 'powerflex:') {
    throw urlError('url', 'scheme', `the pool URL must start with powerflex://; expected ${URL_FORM}`);
  }
  const username = decode(parsed.username, 'username');
  const password = decode(parsed.password, 'password');
  if (username === '') throw urlError('username', 'required', `the pool URL names no API user; expected ${URL_FORM}`);
  if (password === '') throw urlError('password', 'required', `the pool URL has no password; expected ${URL_FORM}`);
  if (parsed.hostname === '') throw urlError('gateway', 'required', `the pool URL names no gateway host; expected ${URL_FORM}`);
  const path = parsed.pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  const storagePool = decode(path, 'storagePool');
  if (storagePool === '' || storagePool.includes('/')) {
    throw urlError('storagePool', 'required', `the pool URL must end with exactly one storage pool name; expected ${URL_FORM}`);
  }
  let protocol = 'https';
  for (const [key, value] of parsed.searchParams) {
    if (key !== 'protocol' || (value !== 'http' && value !== 'https')) {
      throw urlError('url', 'query', `the pool URL takes only ?protocol=http or ?protocol=https; expected ${URL_FORM}`);
    }
    protocol = value;
  }
  if (parsed.hash !== '') throw urlError('url', 'fragment', `the pool URL has a '#' part; URL-encode '#' in the password as %23`);
  return {
    gatewayUrl: `${protocol}://${parsed.hostname}${parsed.port === '' ? '' : `:${parsed.port}`}`,
    username,
    password,
    storagePool,
  };
}

function decode(value: string, field: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw urlError(field, 'urlEncoding', `the ${field} in the pool URL is not valid URL encoding`);
  }
}

function urlError(field: string, rule: string, message: string): BackendError {
  const violations: FieldViolation[] = [{ field, rule, message }];
  return new BackendError('invalid', BackendErrorCode.ConfigInvalid, `powerflex pool URL is invalid: ${message}`, { details: { violations } });
}

export const powerflexPlugin: BackendPlugin<PowerFlexConfig> = {
  manifest: powerflexManifest,
  parseConfig: (raw) => parseConfigWith(powerflexManifest, raw),
  parseUrl: (url) => parsePowerFlexUrl(url),
  // Names come from the caller (backendVolumeName with the pool key and installation id).
  createDriver: (config) => new PowerFlexDriver(config),
};
