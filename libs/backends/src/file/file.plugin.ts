import { parseConfigWith, type BackendPlugin } from '@strata/plugin-sdk';
import type { FileConfig } from './file.config';
import { FileDriver } from './file.driver';
import { fileManifest } from './file.manifest';

export const filePlugin: BackendPlugin<FileConfig> = {
  manifest: fileManifest,
  parseConfig: (raw) => parseConfigWith(fileManifest, raw),
  // The file backend names volumes per pool directory, so it needs no installation id.
  createDriver: (config) => new FileDriver(config),
};
