import type { PluginManifest } from '@strata/plugin-sdk';
import { FileConfig } from './file.config';

/** 512-byte sectors: qemu and the guest see a raw image's size in sectors, so a ragged tail would be unreachable. */
const SECTOR_BYTES = 512;

/**
 * The file backend: a pool is a directory, a volume a sparse RAW file in it.
 * Local to the host (or shared over NFS), so access needs no export step.
 *
 * Changelog:
 * - 1.0.0: sparse RAW volumes (thin only), grow and explicit shrink, local access.
 */
export const fileManifest: PluginManifest<FileConfig> = {
  name: 'file',
  vendor: 'Strata',
  driverVersion: '1.0.0',
  roles: ['primary'],
  protocol: 'file',
  scopes: ['zone', 'cluster', 'host'],
  hypervisors: ['kvm'],
  capabilities: {
    snapshot: false,
    revert: 'none',
    groupSnapshot: false,
    clone: false,
    resizeGrow: true,
    resizeShrink: true,
    qosIops: false,
    qosBandwidth: false,
    qosTiers: false,
    nativeMigration: false,
    thinProvisioning: true,
    overProvisioning: false,
    tags: false,
  },
  limits: {
    sizeGranularityBytes: SECTOR_BYTES,
    minSizeBytes: SECTOR_BYTES,
    // The file system's own limit (ext4: 16 TiB, XFS: 8 EiB) is not known here;
    // beyond it the create fails as 'invalid' (EFBIG). This is the largest
    // sector multiple a JS number holds exactly.
    maxSizeBytes: Number.MAX_SAFE_INTEGER - (Number.MAX_SAFE_INTEGER % SECTOR_BYTES),
    // NAME_MAX is 255 bytes and the '.raw' suffix takes 4 of them.
    maxNameLength: 251,
    snapshotsPerVolumeTree: null,
  },
  naming: { volumePrefix: 'vol', qualifiers: [] },
  configSchema: FileConfig,
  secretConfigKeys: [],
};
