/**
 * How each event moves the job of the command that caused it. A job's id is its command's
 * message id; events name it as their causationId.
 */
export type JobEffect = 'running' | 'succeeded' | 'failed';

const effects: Readonly<Record<string, JobEffect>> = {
  StoragePoolAdded: 'succeeded',
  VolumeCreationRequested: 'running',
  VolumeCreated: 'succeeded',
  VolumeCreationFailed: 'failed',
  VolumeDeletionRequested: 'running',
  VolumeDeleted: 'succeeded',
  VolumeDeletionFailed: 'failed',
  CommandRejected: 'failed',
  StoragePoolUpdated: 'succeeded',
  StoragePoolEnabled: 'succeeded',
  StoragePoolDisabled: 'succeeded',
  StoragePoolDeleted: 'succeeded',
  StoragePoolCapacityRefreshed: 'succeeded',
  VolumeResizeRequested: 'running',
  VolumeResized: 'succeeded',
  VolumeResizeFailed: 'failed',
  VolumeAttachRequested: 'running',
  VolumeAttached: 'succeeded',
  VolumeAttachFailed: 'failed',
  VolumeDetachRequested: 'running',
  VolumeDetached: 'succeeded',
  VolumeDetachFailed: 'failed',
  VolumeQosChangeRequested: 'running',
  VolumeQosChanged: 'succeeded',
  VolumeQosChangeFailed: 'failed',
  HostRegistered: 'succeeded',
  HostDeregistered: 'succeeded',
  PoolDriftDetected: 'succeeded',
  PoolDriftCleared: 'succeeded',
  VolumeManaged: 'succeeded',
  OrphanRemovalRequested: 'running',
  OrphanRemoved: 'succeeded',
  OrphanRemovalFailed: 'failed',
  VolumeAllocated: 'succeeded',
  VolumeMigrationRequested: 'running',
  VolumeMigrated: 'succeeded',
  VolumeMigrationFailed: 'failed',
  PoolMaintenanceRequested: 'running',
  PoolMaintenanceEntered: 'succeeded',
  PoolMaintenanceFailed: 'failed',
  PoolMaintenanceCancelled: 'succeeded',
  SnapshotRequested: 'running',
  SnapshotCreated: 'succeeded',
  SnapshotCreationFailed: 'failed',
  SnapshotDeletionRequested: 'running',
  SnapshotDeleted: 'succeeded',
  SnapshotDeletionFailed: 'failed',
  SnapshotRevertRequested: 'running',
  SnapshotReverted: 'succeeded',
  SnapshotRevertFailed: 'failed',
  SnapshotPolicyCreated: 'succeeded',
  SnapshotPolicyDeleted: 'succeeded',
};

export function jobEffectOf(eventType: string): JobEffect | undefined {
  return effects[eventType];
}
