import { BackendError, BackendErrorCode, parseConfigWith, type BackendPlugin } from '@strata/plugin-sdk';
import type { LinstorConfig } from './linstor.config';
import { LinstorDriver } from './linstor.driver';
import { linstorManifest } from './linstor.manifest';

const NUMERIC_OPTIONS = ['placeCount', 'timeoutMs', 'maxConnections', 'diskWaitMs', 'cloneWaitMs'] as const;
const TEXT_OPTIONS = ['cloneMode', 'capacityMode', 'resourceGroup'] as const;

function urlError(part: string, message: string): BackendError {
  return new BackendError('invalid', BackendErrorCode.ConfigInvalid, `linstor pool URL is invalid: ${part}: ${message}`, {
    details: { violations: [{ field: 'url', rule: part, message }] },
  });
}

/**
 * A LINSTOR controller URL carrying the resource group, in either form:
 * - `linstor://[token@]host[:port]/<resource-group>[?options]` (http, port 3370), or
 *   `linstors://...` (https, port 3371);
 * - `http(s)://[token@]host[:port][/]?resourceGroup=<resource-group>[&options]`.
 * Options are the config's other settings by name: placeCount, cloneMode, capacityMode,
 * dataMoverHosts (comma- or space-separated, like BRIDGE_LIST), timeoutMs, maxConnections,
 * diskWaitMs, cloneWaitMs. The token, when given, is the URL's user part.
 */
export function parseLinstorUrl(raw: string): Record<string, unknown> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw urlError('syntax', 'not a URL (expected linstor://host:3370/<resource-group> or http://host:3370?resourceGroup=<resource-group>)');
  }
  const scheme = url.protocol.replace(/:$/, '');
  let protocol: 'http' | 'https';
  let defaultPort: string;
  let groupFromPath: string | undefined;
  if (scheme === 'linstor' || scheme === 'linstors') {
    protocol = scheme === 'linstor' ? 'http' : 'https';
    defaultPort = scheme === 'linstor' ? '3370' : '3371';
    const path = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
    if (path.includes('/')) throw urlError('path', 'the path must be the resource group alone');
    groupFromPath = path === '' ? undefined : path;
  } else if (scheme === 'http' || scheme === 'https') {
    protocol = scheme;
    defaultPort = '';
    if (url.pathname !== '/' && url.pathname !== '') throw urlError('path', 'an http(s) controller URL takes the resource group as ?resourceGroup=, not a path');
  } else {
    throw urlError('scheme', `'${scheme}' is not linstor, linstors, http or https`);
  }
  if (url.hostname === '') throw urlError('host', 'the controller host is missing');

  const config: Record<string, unknown> = {};
  const port = url.port === '' ? defaultPort : url.port;
  config.controllerUrl = `${protocol}://${url.hostname}${port === '' ? '' : `:${port}`}`;
  if (url.password !== '') throw urlError('userinfo', 'give the token as the user part alone (token@host), without a password');
  if (url.username !== '') config.token = decodeURIComponent(url.username);

  for (const [key, value] of url.searchParams) {
    if (key in config && key !== 'resourceGroup') throw urlError('query', `option ${key} is given twice`);
    if ((NUMERIC_OPTIONS as readonly string[]).includes(key)) {
      config[key] = /^\d+$/.test(value) ? Number(value) : value;
    } else if ((TEXT_OPTIONS as readonly string[]).includes(key)) {
      config[key] = value;
    } else if (key === 'dataMoverHosts') {
      config.dataMoverHosts = value.split(/[\s,]+/).filter((host) => host !== '');
    } else {
      throw urlError('query', `unknown option '${key}'`);
    }
  }
  if (groupFromPath !== undefined) {
    if (config.resourceGroup !== undefined && config.resourceGroup !== groupFromPath) throw urlError('resourceGroup', 'given both as the path and as a query option, differently');
    config.resourceGroup = groupFromPath;
  }
  if (config.resourceGroup === undefined) throw urlError('resourceGroup', 'the resource group is missing');
  return config;
}

export const linstorPlugin: BackendPlugin<LinstorConfig> = {
  manifest: linstorManifest,
  parseConfig: (raw) => parseConfigWith(linstorManifest, raw),
  parseUrl: parseLinstorUrl,
  // Names are cs-<volume uuid> whatever the installation (the CloudStack convention), so no context is needed.
  createDriver: (config) => new LinstorDriver(config),
};
