// class-validator's decorators read design-time metadata.
import 'reflect-metadata';
import { IsUUID } from 'class-validator';
import { IsResourceName } from '../storage/commands';

/** Take a snapshot of a volume on its primary storage (the command's aggregate is the new snapshot's id). */
export class CreateSnapshotData {
  @IsUUID('4')
  volumeId!: string;

  @IsResourceName()
  name!: string;
}

/** Delete a snapshot from primary storage. */
export class DeleteSnapshotData {}

/** Put the snapshot's content back into its volume (the volume must be detached; some backends allow only the latest snapshot). */
export class RevertToSnapshotData {}

export interface SnapshotCommandDataMap {
  CreateSnapshot: CreateSnapshotData;
  DeleteSnapshot: DeleteSnapshotData;
  RevertToSnapshot: RevertToSnapshotData;
}
export type SnapshotCommandType = keyof SnapshotCommandDataMap;

export const snapshotCommandSchemas: { readonly [K in SnapshotCommandType]: new () => SnapshotCommandDataMap[K] } = {
  CreateSnapshot: CreateSnapshotData,
  DeleteSnapshot: DeleteSnapshotData,
  RevertToSnapshot: RevertToSnapshotData,
};
