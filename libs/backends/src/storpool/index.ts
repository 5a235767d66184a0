export { StorPoolConfig, STORPOOL_DEFAULTS } from './storpool.config';
export {
  StorPoolDriver,
  MARKER_TAG as STORPOOL_MARKER_TAG,
  GROUP_TAG as STORPOOL_GROUP_TAG,
  VC_POLICY_TAG as STORPOOL_VC_POLICY_TAG,
  type StorPoolDriverHooks,
} from './storpool.driver';
export { storpoolManifest } from './storpool.manifest';
export { storpoolPlugin } from './storpool.plugin';
export { parseStorPoolUrl } from './storpool.url';
export { StorPoolClient, type StorPoolClientOptions } from './storpool.client';
export { StorPoolApiError, toStorPoolError } from './storpool.errors';
export { startStorPoolSimulator, type StorPoolSimulator, type StorPoolSimulatorOptions } from './simulator';
