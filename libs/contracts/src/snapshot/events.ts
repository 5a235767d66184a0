import type { ErrorInfo } from '../storage/events';

/** Payloads of the events the snapshot service publishes on the snapshot events topic. */

/** Intent: take the snapshot. Names are fixed here, so a retry finds what a crashed attempt made. */
export interface SnapshotRequested {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly name: string;
  /** The pool the volume lived on when the snapshot was taken (snapshots stay with their volume's tree). */
  readonly poolId: string;
  readonly volumeBackendName: string;
  /** The snapshot's own name on the backend. */
  readonly backendName: string;
  /** Set when a snapshot policy took it: the policy and the due time it ran for. */
  readonly policyId: string | null;
  readonly dueAt: string | null;
  /** Whether it is also to be backed up (the volume's setting when it was asked); absent: no. */
  readonly backup?: boolean;
}
export interface SnapshotCreated {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly sizeBytes: number;
}
export interface SnapshotCreationFailed {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly error: ErrorInfo;
}
export interface SnapshotDeletionRequested {
  readonly snapshotId: string;
  readonly volumeId: string;
}
export interface SnapshotDeleted {
  readonly snapshotId: string;
  readonly volumeId: string;
}
export interface SnapshotDeletionFailed {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly error: ErrorInfo;
}
export interface SnapshotRevertRequested {
  readonly snapshotId: string;
  readonly volumeId: string;
}
/** The volume's content is the snapshot's again. */
export interface SnapshotReverted {
  readonly snapshotId: string;
  readonly volumeId: string;
}
export interface SnapshotRevertFailed {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly error: ErrorInfo;
}

/** A policy's schedule as recorded (validated, weekday names turned into numbers). */
export interface SnapshotPolicySchedule {
  readonly kind: 'hourly' | 'daily' | 'weekly' | 'monthly';
  readonly timeZone: string;
  readonly minute?: number;
  readonly time?: string;
  readonly dayOfWeek?: number;
  readonly dayOfMonth?: number;
}

export interface SnapshotPolicyCreated {
  readonly policyId: string;
  readonly volumeId: string;
  readonly schedule: SnapshotPolicySchedule;
  readonly retention: number;
  /** No run is due at or before this instant. */
  readonly createdAt: string;
}
export interface SnapshotPolicyDeleted {
  readonly policyId: string;
  readonly volumeId: string;
}
/**
 * A scheduled run taken: the snapshot with id snapshotId (derived from the policy and the
 * due time) is to exist. Recorded before the snapshot is asked for, so a restart finds it.
 */
export interface SnapshotPolicyRunTaken {
  readonly policyId: string;
  readonly volumeId: string;
  readonly dueAt: string;
  readonly snapshotId: string;
}

/** One volume of a VM snapshot. */
export interface VmSnapshotMember {
  readonly volumeId: string;
  readonly poolId: string;
  readonly volumeBackendName: string;
  readonly snapshotBackendName: string;
}

/** Intent: one point in time across the members (names fixed, so a retry finds what a crashed attempt made). */
export interface VmSnapshotRequested {
  readonly vmSnapshotId: string;
  readonly vmId: string;
  readonly name: string;
  /** The backend's name of the group (consistency group, group snapshot). */
  readonly groupName: string;
  readonly members: readonly VmSnapshotMember[];
}
export interface VmSnapshotCreated {
  readonly vmSnapshotId: string;
  readonly vmId: string;
  readonly members: readonly { readonly volumeId: string; readonly snapshotBackendName: string; readonly sizeBytes: number }[];
}
export interface VmSnapshotCreationFailed {
  readonly vmSnapshotId: string;
  readonly vmId: string;
  readonly error: ErrorInfo;
}
export interface VmSnapshotDeletionRequested {
  readonly vmSnapshotId: string;
  readonly vmId: string;
}
export interface VmSnapshotDeleted {
  readonly vmSnapshotId: string;
  readonly vmId: string;
}
export interface VmSnapshotDeletionFailed {
  readonly vmSnapshotId: string;
  readonly vmId: string;
  readonly error: ErrorInfo;
}
export interface VmSnapshotRevertRequested {
  readonly vmSnapshotId: string;
  readonly vmId: string;
}
export interface VmSnapshotReverted {
  readonly vmSnapshotId: string;
  readonly vmId: string;
}
export interface VmSnapshotRevertFailed {
  readonly vmSnapshotId: string;
  readonly vmId: string;
  readonly error: ErrorInfo;
}

/** Whether this volume's snapshots are also backed up (the backup service's to act on). */
export interface SnapshotBackupSet {
  readonly volumeId: string;
  readonly backupSnapshots: boolean;
}

export interface SnapshotEventDataMap {
  SnapshotRequested: SnapshotRequested;
  SnapshotCreated: SnapshotCreated;
  SnapshotCreationFailed: SnapshotCreationFailed;
  SnapshotDeletionRequested: SnapshotDeletionRequested;
  SnapshotDeleted: SnapshotDeleted;
  SnapshotDeletionFailed: SnapshotDeletionFailed;
  SnapshotRevertRequested: SnapshotRevertRequested;
  SnapshotReverted: SnapshotReverted;
  SnapshotRevertFailed: SnapshotRevertFailed;
  SnapshotPolicyCreated: SnapshotPolicyCreated;
  SnapshotPolicyDeleted: SnapshotPolicyDeleted;
  SnapshotPolicyRunTaken: SnapshotPolicyRunTaken;
  VmSnapshotRequested: VmSnapshotRequested;
  VmSnapshotCreated: VmSnapshotCreated;
  VmSnapshotCreationFailed: VmSnapshotCreationFailed;
  VmSnapshotDeletionRequested: VmSnapshotDeletionRequested;
  VmSnapshotDeleted: VmSnapshotDeleted;
  VmSnapshotDeletionFailed: VmSnapshotDeletionFailed;
  VmSnapshotRevertRequested: VmSnapshotRevertRequested;
  VmSnapshotReverted: VmSnapshotReverted;
  VmSnapshotRevertFailed: VmSnapshotRevertFailed;
  SnapshotBackupSet: SnapshotBackupSet;
}
export type SnapshotEventType = keyof SnapshotEventDataMap;
