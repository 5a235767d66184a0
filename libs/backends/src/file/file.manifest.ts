import type { PluginManifest } from '@strata/plugin-sdk';
import { FileConfig } from './file.config';

/** 512-byte sectors: qemu and the guest see a raw image's size in sectors, so a ragged tail would be unreachable. */
const SECTOR_BYTES = 512;

/**
 * The file backend: a pool is a directory, a volume a sparse RAW file in it.
 * Local to the host (or shared over NFS), so access needs no export step.
 *
 * Snapshots, clones and reverts copy files: by reflink where the file system
 * can (XFS with reflink, btrfs, NFS 4.2 servers that clone), by sparse copy
 * elsewhere. This manifest is static, so it cannot say which: the driver finds
 * out at connect() and reports it as FileDriver.reflink and in its description.
 * Group snapshots are one snapshot per member, all or nothing; the point in time
 * is common to the members only while nothing writes to them (see the driver).
 *
 * Changelog:
 * - 1.0.0: sparse RAW volumes (thin only), grow and explicit shrink, local access.
 * - 1.1.0: snapshots (any may be reverted to), clones from snapshots, group
 *   snapshots, volume trees with clone lineage; reflink detected at connect;
 *   a volume with snapshots is deleted only with its tree; names at most 250
 *   characters (the '.json' records beside the files need the room).
 */
export const fileManifest: PluginManifest<FileConfig> = {
  name: 'file',
  vendor: 'Strata',
  driverVersion: '1.1.0',
  roles: ['primary'],
  protocol: 'file',
  scopes: ['zone', 'cluster', 'host'],
  hypervisors: ['kvm'],
  capabilities: {
    snapshot: true,
    revert: 'any',
    groupSnapshot: true,
    clone: true,
    resizeGrow: true,
    resizeShrink: true,
    qosIops: false,
    qosBandwidth: false,
    qosTiers: false,
    nativeMigration: false,
    thinProvisioning: true,
    thickProvisioning: false,
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
    // NAME_MAX is 255 bytes; a snapshot's or clone's record adds '.json', 5 of them.
    maxNameLength: 250,
    snapshotsPerVolumeTree: null,
  },
  naming: { volumePrefix: 'vol', qualifiers: [] },
  configSchema: FileConfig,
  secretConfigKeys: [],
};
