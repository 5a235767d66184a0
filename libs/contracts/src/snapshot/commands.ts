// class-validator's decorators read design-time metadata.
import 'reflect-metadata';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsInt, IsNotEmpty, IsObject, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { IsResourceName } from '../storage/commands';

/** Take a snapshot of a volume on its primary storage (the command's aggregate is the new snapshot's id). */
export class CreateSnapshotData {
  @IsUUID('all')
  volumeId!: string;

  @IsResourceName()
  name!: string;
}

/** Delete a snapshot from primary storage. */
export class DeleteSnapshotData {}

/** Put the snapshot's content back into its volume (the volume must be detached; some backends allow only the latest snapshot). */
export class RevertToSnapshotData {}

/**
 * A schedule of snapshots of one volume (the command's aggregate is the new policy's id):
 * schedule is {kind: 'hourly', minute} | {kind: 'daily', time: 'HH:MM'} | {kind: 'weekly',
 * dayOfWeek, time} | {kind: 'monthly', dayOfMonth, time}, each with an IANA timeZone; its
 * rules are checked by the snapshot service, each broken one named (data.schedule.<field>).
 */
export class CreateSnapshotPolicyData {
  @IsUUID('4')
  volumeId!: string;

  @IsObject()
  schedule!: Record<string, unknown>;

  /** Snapshots of this policy kept; beyond it the oldest are deleted. */
  @IsInt()
  @Min(1)
  @Max(1000)
  retention!: number;
}

/** Stop a policy; the snapshots it took stay. */
export class DeleteSnapshotPolicyData {}

/**
 * A crash-consistent snapshot of all of a VM's volumes at one point in time (the command's
 * aggregate is the new VM snapshot's id). All volumes must be on one backend cluster.
 */
export class CreateVmSnapshotData {
  /** The cloud's id of the VM (Strata keeps no VMs: it is recorded, not checked). */
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  vmId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(32)
  @ArrayUnique()
  @IsUUID('4', { each: true })
  volumeIds!: string[];

  @IsResourceName()
  name!: string;
}

export class DeleteVmSnapshotData {}

/** Put every member volume back to the VM snapshot (all must be detached: the VM stopped). */
export class RevertToVmSnapshotData {}

/**
 * Whether the snapshots of a volume are also to be backed up to secondary storage (the
 * StorPool guide's bypass option, per volume); the backup service acts on it. Default: no.
 */
export class SetSnapshotBackupData {
  @IsBoolean()
  backupSnapshots!: boolean;
}

export interface SnapshotCommandDataMap {
  CreateSnapshot: CreateSnapshotData;
  DeleteSnapshot: DeleteSnapshotData;
  RevertToSnapshot: RevertToSnapshotData;
  CreateSnapshotPolicy: CreateSnapshotPolicyData;
  DeleteSnapshotPolicy: DeleteSnapshotPolicyData;
  CreateVmSnapshot: CreateVmSnapshotData;
  DeleteVmSnapshot: DeleteVmSnapshotData;
  RevertToVmSnapshot: RevertToVmSnapshotData;
  /** Aggregate: the volume. */
  SetSnapshotBackup: SetSnapshotBackupData;
}
export type SnapshotCommandType = keyof SnapshotCommandDataMap;

export const snapshotCommandSchemas: { readonly [K in SnapshotCommandType]: new () => SnapshotCommandDataMap[K] } = {
  CreateSnapshot: CreateSnapshotData,
  DeleteSnapshot: DeleteSnapshotData,
  RevertToSnapshot: RevertToSnapshotData,
  CreateSnapshotPolicy: CreateSnapshotPolicyData,
  DeleteSnapshotPolicy: DeleteSnapshotPolicyData,
  CreateVmSnapshot: CreateVmSnapshotData,
  DeleteVmSnapshot: DeleteVmSnapshotData,
  RevertToVmSnapshot: RevertToVmSnapshotData,
  SetSnapshotBackup: SetSnapshotBackupData,
};
