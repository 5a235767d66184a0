import { parseConfigWith, type BackendPlugin } from '@strata/plugin-sdk';
import type { StorPoolConfig } from './storpool.config';
import { StorPoolDriver } from './storpool.driver';
import { storpoolManifest } from './storpool.manifest';
import { parseStorPoolUrl } from './storpool.url';

export const storpoolPlugin: BackendPlugin<StorPoolConfig> = {
  manifest: storpoolManifest,
  parseConfig: (raw) => parseConfigWith(storpoolManifest, raw),
  parseUrl: (url) => parseStorPoolUrl(url),
  createDriver: (config, context) => new StorPoolDriver(config, context),
};
