import type { PluginManifest } from '@strata/plugin-sdk';
import { PowerFlexConfig } from './powerflex.config';

const GiB = 2 ** 30;

/**
 * Dell PowerFlex (ScaleIO / VxFlex OS) 3.5+ through its REST gateway. Volumes live in one
 * storage pool; a volume with its snapshots and clones is a VTree (at most 128 members);
 * hosts reach volumes through the SDC kernel driver, so access is an SDC mapping.
 *
 * Changelog:
 * - 1.0.0: token login with renewal, volumes (thin/thick, 8 GiB blocks), snapshots, consistency
 *   groups, revert to any snapshot of the VTree, clones, SDC mapping with per-mapping QoS,
 *   VTree migration, capacity from pool statistics. CI-tested against the simulator only.
 */
export const powerflexManifest: PluginManifest<PowerFlexConfig> = {
  name: 'powerflex',
  vendor: 'Dell',
  driverVersion: '1.0.0',
  roles: ['primary'],
  protocol: 'scaleio',
  // A pool is reachable from every host with an SDC connected to the MDM: zone or cluster wide.
  scopes: ['zone', 'cluster'],
  hypervisors: ['kvm'],
  capabilities: {
    snapshot: true,
    // overwriteVolumeContent takes any member of the VTree as the source.
    revert: 'any',
    groupSnapshot: true,
    clone: true,
    resizeGrow: true,
    // VOL_DECREASE_NOT_SUPPORTED: "Volume capacity can only be increased".
    resizeShrink: false,
    qosIops: true,
    qosBandwidth: true,
    qosTiers: false,
    nativeMigration: true,
    thinProvisioning: true,
    thickProvisioning: true,
    // Thin volumes may provision up to ten times the pool's net capacity.
    overProvisioning: true,
    tags: false,
  },
  limits: {
    sizeGranularityBytes: 8 * GiB,
    minSizeBytes: 8 * GiB,
    // 1 PiB, the largest PowerFlex volume.
    maxSizeBytes: 2 ** 50,
    maxNameLength: 31,
    // 128 volumes per VTree: the base plus 127 snapshots.
    snapshotsPerVolumeTree: 127,
  },
  naming: { volumePrefix: 'vol', qualifiers: ['poolKey', 'installationId'] },
  configSchema: PowerFlexConfig,
  secretConfigKeys: ['password'],
};
