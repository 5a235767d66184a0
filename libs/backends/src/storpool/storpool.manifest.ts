import type { PluginManifest } from '@strata/plugin-sdk';
import { StorPoolConfig } from './storpool.config';

/** StorPool sizes are bytes, a positive multiple of the 512-byte sector (sptypes.py volumeSizeValidator). */
export const STORPOOL_SECTOR_BYTES = 512;
/** Volume and snapshot names are shorter than VOLUME_NAME_SIZE (200). */
export const STORPOOL_MAX_NAME_LENGTH = 199;

/**
 * The StorPool backend: one pool is one StorPool template; volumes are thin,
 * replicated 1-3 times by the template's placement, reached by hosts through
 * the StorPool client as /dev/storpool/<name>.
 *
 * Names: `strata-<volume id>-<installation id>`. CloudStack creates objects
 * anonymously and keeps the returned ~globalId, which only exists once the
 * create has answered; a crash between the create and recording its answer
 * would orphan the volume. A name derived from our ids lets a retried create
 * find what the crashed attempt made. The pool key is left out on purpose:
 * native migration moves a volume to another template (another pool) and
 * StorPool keeps its name, and names are unique per cluster anyway.
 *
 * Changelog:
 * - 1.0.0: templates as pools, snapshots, group snapshots, revert, clone
 *   (parent) and copy (baseOn), VolumesReassign attach, iops/bw and qc tiers,
 *   vc-policy tag, template migration.
 */
export const storpoolManifest: PluginManifest<StorPoolConfig> = {
  name: 'storpool',
  vendor: 'StorPool',
  driverVersion: '1.0.0',
  roles: ['primary'],
  protocol: 'storpool',
  scopes: ['zone', 'cluster'],
  hypervisors: ['kvm'],
  capabilities: {
    snapshot: true,
    // VolumeRevert takes any snapshot of the volume, not only the newest.
    revert: 'any',
    groupSnapshot: true,
    clone: true,
    resizeGrow: true,
    // VolumeUpdate{size, shrinkOk:true}; the driver sets shrinkOk only when allowShrink is given.
    resizeShrink: true,
    qosIops: true,
    qosBandwidth: true,
    qosTiers: true,
    nativeMigration: true,
    thinProvisioning: true,
    thickProvisioning: false,
    overProvisioning: true,
    tags: true,
  },
  limits: {
    sizeGranularityBytes: STORPOOL_SECTOR_BYTES,
    minSizeBytes: STORPOOL_SECTOR_BYTES,
    // StorPool publishes no upper bound in its API types; this is the largest
    // sector multiple a JS number holds exactly.
    maxSizeBytes: Number.MAX_SAFE_INTEGER - (Number.MAX_SAFE_INTEGER % STORPOOL_SECTOR_BYTES),
    maxNameLength: STORPOOL_MAX_NAME_LENGTH,
    // No per-volume snapshot limit is documented by the vendor.
    snapshotsPerVolumeTree: null,
  },
  naming: { volumePrefix: 'strata', qualifiers: ['installationId'] },
  configSchema: StorPoolConfig,
  secretConfigKeys: ['authToken'],
};
