import type { PluginManifest } from '@strata/plugin-sdk';
import { LinstorConfig } from './linstor.config';

const KiB = 1024;
const MiB = 1024 * KiB;
const PiB = 2 ** 50;

/**
 * LINSTOR (LINBIT) through its controller's REST API v1: a pool is a resource group, a
 * volume a resource definition spawned from it and replicated by DRBD, a host reaches it
 * through a diskless DRBD resource on its node (/dev/drbd/by-res/<rd>/0).
 *
 * Changelog:
 * - 1.0.0: spawn with autoplace, KiB sizes, grow only, snapshots, rollback to the latest
 *   snapshot, multi-resource snapshots, clone by snapshot restore or full copy, diskless
 *   attach, QoS and tags as props, capacity by least-free or average pool.
 */
export const linstorManifest: PluginManifest<LinstorConfig> = {
  name: 'linstor',
  vendor: 'LINBIT',
  driverVersion: '1.0.0',
  roles: ['primary'],
  protocol: 'drbd',
  // Every node that is a LINSTOR satellite can attach diskless; a resource group spans clusters.
  scopes: ['zone', 'cluster'],
  hypervisors: ['kvm'],
  capabilities: {
    snapshot: true,
    // ZFS rolls back only to the newest snapshot (zfs rollback fails when newer ones exist),
    // and a resource group may sit on ZFS: the common rule is 'latest'.
    revert: 'latest',
    groupSnapshot: true,
    clone: true,
    resizeGrow: true,
    // DRBD and the storage layers refuse to shrink (FAIL_INVLD_VLM_SIZE).
    resizeShrink: false,
    qosIops: true,
    qosBandwidth: true,
    qosTiers: false,
    nativeMigration: false,
    thinProvisioning: true,
    thickProvisioning: false,
    overProvisioning: true,
    tags: true,
  },
  limits: {
    // The API's unit: volume_sizes and size_kib are whole KiB.
    sizeGranularityBytes: KiB,
    // One LVM extent: smaller volumes are rounded up by the storage layer anyway.
    minSizeBytes: 4 * MiB,
    // DRBD 9's largest device.
    maxSizeBytes: PiB,
    maxNameLength: 48,
    snapshotsPerVolumeTree: null,
  },
  // CloudStack's convention: cs-<volume uuid> (39 characters, within LINSTOR's 48).
  naming: { volumePrefix: 'cs', qualifiers: [] },
  configSchema: LinstorConfig,
  secretConfigKeys: ['token'],
};
