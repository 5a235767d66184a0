import { Inject, Injectable } from '@nestjs/common';
import { uuidFromName } from '@strata/kernel';
import { backendObjectName, BackendErrorCode, isBackendError, OBJECT_PREFIXES, poolKeyOf, type PluginManifest } from '@strata/plugin-sdk';
import { SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';

/**
 * The deterministic backend names of a VM snapshot, so a retry after a crash finds what the
 * first attempt made: one snapshot name per member, and one name for the group.
 */
@Injectable()
export class VmSnapshotNames {
  constructor(@Inject(SERVICE_CONFIG) private readonly config: ServiceConfig) {}

  /**
   * `snap-<id>[-<pool key>][-<inst>]`, with a per-member id derived from the VM snapshot and the
   * volume: two members never share a name, and the same member is always named alike.
   */
  memberSnapshotName(manifest: PluginManifest, poolId: string, vmSnapshotId: string, volumeId: string): string {
    return backendObjectName(manifest, OBJECT_PREFIXES.snapshot, {
      volumeId: uuidFromName(`${vmSnapshotId}:${volumeId}`),
      poolKey: poolKeyOf(poolId),
      installationId: this.config.installationId,
    });
  }

  /**
   * `vmsnap-<vmSnapshotId>[-<pool key>][-<inst>]`. On PowerFlex that does not fit: 31 characters
   * leave 14 for the id after `vmsnap-` and the two qualifiers, and names need 16 to stay unique.
   * There the group is named like a snapshot (`snap-…`), as the conformance suite does; PowerFlex
   * uses the group name only in messages (the array names the consistency group itself), and the
   * VM snapshot id never equals a member's derived id, so it names no other object.
   */
  groupName(manifest: PluginManifest, poolId: string, vmSnapshotId: string): string {
    const ids = { volumeId: vmSnapshotId, poolKey: poolKeyOf(poolId), installationId: this.config.installationId };
    try {
      return backendObjectName(manifest, OBJECT_PREFIXES.groupSnapshot, ids);
    } catch (error) {
      if (!(isBackendError(error) && error.code === BackendErrorCode.NameInvalid)) throw error;
      return backendObjectName(manifest, OBJECT_PREFIXES.snapshot, ids);
    }
  }
}
