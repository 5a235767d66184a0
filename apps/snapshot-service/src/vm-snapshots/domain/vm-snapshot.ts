import { assertUnreachable, type Decider } from '@strata/kernel';
import type {
  ErrorInfo,
  VmSnapshotCreated,
  VmSnapshotCreationFailed,
  VmSnapshotDeleted,
  VmSnapshotDeletionFailed,
  VmSnapshotDeletionRequested,
  VmSnapshotMember,
  VmSnapshotRequested,
  VmSnapshotReverted,
  VmSnapshotRevertFailed,
  VmSnapshotRevertRequested,
} from '@strata/contracts';
import type { TreeFacts, VolumeFacts } from '../../snapshots/domain/snapshot';
import { VmSnapshotErrors, type VolumeMention } from './vm-snapshot.errors';

export type VmSnapshotEvent =
  | { type: 'VmSnapshotRequested'; data: VmSnapshotRequested }
  | { type: 'VmSnapshotCreated'; data: VmSnapshotCreated }
  | { type: 'VmSnapshotCreationFailed'; data: VmSnapshotCreationFailed }
  | { type: 'VmSnapshotDeletionRequested'; data: VmSnapshotDeletionRequested }
  | { type: 'VmSnapshotDeleted'; data: VmSnapshotDeleted }
  | { type: 'VmSnapshotDeletionFailed'; data: VmSnapshotDeletionFailed }
  | { type: 'VmSnapshotRevertRequested'; data: VmSnapshotRevertRequested }
  | { type: 'VmSnapshotReverted'; data: VmSnapshotReverted }
  | { type: 'VmSnapshotRevertFailed'; data: VmSnapshotRevertFailed };

/**
 * As for a volume snapshot: creating, reverting and deleting end in an outcome event (recovery
 * sees to it after a crash). A failed creation or deletion leaves 'error' (it may be deleted
 * again, which removes whatever members the backend made); a failed revert leaves it 'ready'.
 */
export type VmSnapshotStatus = 'creating' | 'ready' | 'error' | 'reverting' | 'deleting' | 'deleted';

export type CreatedMember = VmSnapshotCreated['members'][number];

export interface VmSnapshotFacts {
  readonly vmSnapshotId: string;
  readonly vmId: string;
  readonly name: string;
  readonly groupName: string;
  /** In the order the command named the volumes; the group call goes to the first one's pool. */
  readonly members: readonly VmSnapshotMember[];
  /** What the backend reported once the group was taken; null before. */
  readonly created: readonly CreatedMember[] | null;
  readonly lastError: ErrorInfo | null;
}

export type VmSnapshotState = { readonly status: 'absent' } | ({ readonly status: VmSnapshotStatus } & VmSnapshotFacts);
type PresentVmSnapshot = Exclude<VmSnapshotState, { status: 'absent' }>;

/** What a pool's plugin declares about group snapshots, from its manifest; read by the handler. */
export interface GroupBackendFacts {
  readonly plugin: string;
  /** Who makes it and what it is, for messages ("Dell powerflex"). */
  readonly label: string;
  readonly groupSnapshot: boolean;
  readonly revert: 'any' | 'latest' | 'none';
  /** Whether its drivers say which backend cluster a pool is on (migrationTarget().cluster). */
  readonly nativeMigration: boolean;
}

/** One volume named by CreateVmSnapshot, as the handler found it. */
export interface CreateMemberFacts {
  readonly volumeId: string;
  /** Null when the view has no such volume. */
  readonly volume: VolumeFacts | null;
  /** Null when the view has no such pool (or it was deleted). */
  readonly backend: GroupBackendFacts | null;
  /**
   * The backend cluster of the volume's pool (migrationTarget().cluster), asked only of plugins
   * with nativeMigration and only once the cheaper checks pass; null otherwise.
   */
  readonly cluster: string | null;
  /** The volume's tree as the backend counts it, asked only once every other check passes; null otherwise. */
  readonly tree: TreeFacts | null;
  /** The member snapshot's deterministic backend name ('' while the pool is unknown). */
  readonly snapshotBackendName: string;
}

/** One member volume as the view knows it at a revert. */
export interface RevertMemberFacts {
  readonly volumeId: string;
  readonly volume: VolumeFacts | null;
}

export type VmSnapshotCommand =
  | {
      readonly type: 'CreateVmSnapshot';
      readonly vmSnapshotId: string;
      readonly vmId: string;
      readonly name: string;
      /** The group's deterministic backend name ('' while the first member's pool is unknown). */
      readonly groupName: string;
      readonly members: readonly CreateMemberFacts[];
    }
  | { readonly type: 'RecordVmSnapshotCreated'; readonly members: readonly CreatedMember[] }
  | { readonly type: 'RecordVmSnapshotCreationFailed'; readonly error: ErrorInfo }
  | { readonly type: 'DeleteVmSnapshot'; readonly vmSnapshotId: string }
  | { readonly type: 'RecordVmSnapshotDeleted' }
  | { readonly type: 'RecordVmSnapshotDeletionFailed'; readonly error: ErrorInfo }
  | {
      readonly type: 'RevertToVmSnapshot';
      readonly vmSnapshotId: string;
      readonly volumes: readonly RevertMemberFacts[];
      /** The plugin of the pool the group was taken on (the first member's); null when the view lacks it. */
      readonly backend: GroupBackendFacts | null;
      /**
       * Per member volume id, the backend name of the volume's newest snapshot (listSnapshots,
       * newest last; null when it lists none), asked only where the plugin reverts to the latest alone.
       */
      readonly newestSnapshots?: Readonly<Record<string, string | null>>;
    }
  | { readonly type: 'RecordVmSnapshotReverted' }
  | { readonly type: 'RecordVmSnapshotRevertFailed'; readonly error: ErrorInfo };

/** A volume takes a snapshot only when the storage service is doing nothing else to it (an attached one is fine: crash-consistent). */
const USABLE_FOR_SNAPSHOT = ['ready', 'attached'];

function requireStatus(state: VmSnapshotState, allowed: readonly VmSnapshotStatus[], action: string, vmSnapshotId = 'unknown'): PresentVmSnapshot {
  if (state.status === 'absent') throw VmSnapshotErrors.notFound(vmSnapshotId);
  if (!allowed.includes(state.status)) throw VmSnapshotErrors.illegalState(state.vmSnapshotId, state.status, action);
  return state;
}

const isGone = (volume: VolumeFacts | null): volume is null => !volume || volume.status === 'deleted';

/**
 * The rules of CreateVmSnapshot, in the order a user fixes them: every volume and pool known,
 * one plugin that takes group snapshots, every volume usable, one backend cluster, room in
 * every tree. Each refusal names every member it concerns, not just the first.
 */
function decideCreate(command: Extract<VmSnapshotCommand, { type: 'CreateVmSnapshot' }>): VmSnapshotEvent[] {
  const { members } = command;
  const missing = members.filter((m) => isGone(m.volume)).map((m) => m.volumeId);
  if (missing.length > 0) throw VmSnapshotErrors.volumesNotFound(missing, true);
  const found = members.map((m) => ({ ...m, volume: m.volume as VolumeFacts }));

  const poolless = found.filter((m) => !m.backend).map((m) => ({ volumeId: m.volumeId, detail: `pool ${m.volume.poolId}` }));
  if (poolless.length > 0) throw VmSnapshotErrors.poolsNotFound(poolless);
  const placed = found.map((m) => ({ ...m, backend: m.backend as GroupBackendFacts }));

  // One backend takes one point in time: across two vendors there is no common instant to ask for.
  if (new Set(placed.map((m) => m.backend.plugin)).size > 1) {
    throw VmSnapshotErrors.mixedBackends(placed.map((m) => ({ volumeId: m.volumeId, detail: `${m.backend.label}, pool ${m.volume.poolId}` })));
  }
  const backend = placed[0].backend;
  if (!backend.groupSnapshot) throw VmSnapshotErrors.unsupported(backend.plugin);

  const notReady = placed.filter((m) => !USABLE_FOR_SNAPSHOT.includes(m.volume.status)).map((m) => ({ volumeId: m.volumeId, detail: m.volume.status }));
  if (notReady.length > 0) throw VmSnapshotErrors.volumesNotReady(notReady, 'take a VM snapshot');

  if (new Set(placed.map((m) => m.volume.poolId)).size > 1) {
    const perPool = (m: (typeof placed)[number]): VolumeMention => ({ volumeId: m.volumeId, detail: `pool ${m.volume.poolId}` });
    // Without migrationTarget the backend cannot say that two pools share a cluster, so only one pool is sure to.
    if (!backend.nativeMigration) throw VmSnapshotErrors.multipleClusters(backend.plugin, placed.map(perPool), 'on one pool');
    if (placed.some((m) => m.cluster === null)) throw new Error(`CreateVmSnapshot ${command.vmSnapshotId}: the pools' clusters were not read`);
    if (new Set(placed.map((m) => m.cluster)).size > 1) {
      throw VmSnapshotErrors.multipleClusters(
        backend.plugin,
        placed.map((m) => ({ volumeId: m.volumeId, detail: `pool ${m.volume.poolId} on cluster ${m.cluster}` })),
        'on one backend cluster',
      );
    }
  }

  // A handler bug, not a user error: the trees are asked whenever the checks above pass.
  if (placed.some((m) => !m.tree)) throw new Error(`CreateVmSnapshot ${command.vmSnapshotId}: the volume trees were not read`);
  const full = placed
    .filter((m) => m.tree!.snapshotLimit !== null && m.tree!.snapshotCount >= m.tree!.snapshotLimit)
    .map((m) => ({ volumeId: m.volumeId, detail: `${m.tree!.snapshotCount} of ${m.tree!.snapshotLimit} snapshots` }));
  // Refused here rather than by the backend half-way through the group, so the job names every full tree before any intent.
  if (full.length > 0) throw VmSnapshotErrors.limitReached(backend.label, full);

  return [
    {
      type: 'VmSnapshotRequested',
      data: {
        vmSnapshotId: command.vmSnapshotId,
        vmId: command.vmId,
        name: command.name,
        groupName: command.groupName,
        members: placed.map((m) => ({
          volumeId: m.volumeId,
          poolId: m.volume.poolId,
          volumeBackendName: m.volume.backendName,
          snapshotBackendName: m.snapshotBackendName,
        })),
      },
    },
  ];
}

function decideRevert(command: Extract<VmSnapshotCommand, { type: 'RevertToVmSnapshot' }>, state: VmSnapshotState): VmSnapshotEvent[] {
  const s = requireStatus(state, ['ready'], 'revert its volumes to it', command.vmSnapshotId);
  const byId = new Map(command.volumes.map((v) => [v.volumeId, v.volume]));
  const volumes = s.members.map((m) => ({ member: m, volume: byId.get(m.volumeId) ?? null }));
  const missing = volumes.filter((v) => isGone(v.volume)).map((v) => v.member.volumeId);
  if (missing.length > 0) throw VmSnapshotErrors.volumesNotFound(missing, false);
  const present = volumes.map((v) => ({ ...v, volume: v.volume as VolumeFacts }));
  if (!command.backend) throw VmSnapshotErrors.poolsNotFound([{ volumeId: s.members[0].volumeId, detail: `pool ${s.members[0].poolId}` }]);
  if (command.backend.revert === 'none') throw VmSnapshotErrors.revertUnsupported(s.vmSnapshotId, command.backend.plugin);

  // Every member at once: a VM whose disks are reverted one by one while it runs sees a mix of two times.
  const attached = present.filter((v) => v.volume.hostCount > 0).map((v) => ({ volumeId: v.member.volumeId, detail: `${v.volume.hostCount} host(s)` }));
  if (attached.length > 0) throw VmSnapshotErrors.volumesAttached(attached);
  const notReady = present.filter((v) => v.volume.status !== 'ready').map((v) => ({ volumeId: v.member.volumeId, detail: v.volume.status }));
  if (notReady.length > 0) throw VmSnapshotErrors.volumesNotReady(notReady, 'revert to a VM snapshot');

  if (command.backend.revert === 'latest') {
    const newest = command.newestSnapshots ?? {};
    const behind = s.members
      .filter((m) => (newest[m.volumeId] ?? null) !== m.snapshotBackendName)
      .map((m) => ({ volumeId: m.volumeId, detail: newest[m.volumeId] ? `newest is ${newest[m.volumeId]}` : 'no snapshot listed' }));
    // Checked for all members before any is touched: a group half reverted is worse than none.
    if (behind.length > 0) throw VmSnapshotErrors.revertNotLatest(s.vmSnapshotId, command.backend.plugin, behind);
  }
  return [{ type: 'VmSnapshotRevertRequested', data: { vmSnapshotId: s.vmSnapshotId, vmId: s.vmId } }];
}

export const vmSnapshotDecider: Decider<VmSnapshotState, VmSnapshotCommand, VmSnapshotEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateVmSnapshot':
        if (state.status !== 'absent') throw VmSnapshotErrors.alreadyExists(command.vmSnapshotId);
        return decideCreate(command);
      case 'RecordVmSnapshotCreated': {
        const s = requireStatus(state, ['creating'], 'record a creation');
        return [{ type: 'VmSnapshotCreated', data: { vmSnapshotId: s.vmSnapshotId, vmId: s.vmId, members: command.members } }];
      }
      case 'RecordVmSnapshotCreationFailed': {
        const s = requireStatus(state, ['creating'], 'record a failed creation');
        return [{ type: 'VmSnapshotCreationFailed', data: { vmSnapshotId: s.vmSnapshotId, vmId: s.vmId, error: command.error } }];
      }
      case 'DeleteVmSnapshot': {
        // A second request while one runs is answered, not swallowed: its job must end too.
        if (state.status === 'deleting') throw VmSnapshotErrors.deletionInProgress(state.vmSnapshotId);
        const s = requireStatus(state, ['ready', 'error'], 'delete it', command.vmSnapshotId);
        return [{ type: 'VmSnapshotDeletionRequested', data: { vmSnapshotId: s.vmSnapshotId, vmId: s.vmId } }];
      }
      case 'RecordVmSnapshotDeleted': {
        const s = requireStatus(state, ['deleting'], 'record a deletion');
        return [{ type: 'VmSnapshotDeleted', data: { vmSnapshotId: s.vmSnapshotId, vmId: s.vmId } }];
      }
      case 'RecordVmSnapshotDeletionFailed': {
        const s = requireStatus(state, ['deleting'], 'record a failed deletion');
        return [{ type: 'VmSnapshotDeletionFailed', data: { vmSnapshotId: s.vmSnapshotId, vmId: s.vmId, error: command.error } }];
      }
      case 'RevertToVmSnapshot':
        return decideRevert(command, state);
      case 'RecordVmSnapshotReverted': {
        const s = requireStatus(state, ['reverting'], 'record a revert');
        return [{ type: 'VmSnapshotReverted', data: { vmSnapshotId: s.vmSnapshotId, vmId: s.vmId } }];
      }
      case 'RecordVmSnapshotRevertFailed': {
        const s = requireStatus(state, ['reverting'], 'record a failed revert');
        return [{ type: 'VmSnapshotRevertFailed', data: { vmSnapshotId: s.vmSnapshotId, vmId: s.vmId, error: command.error } }];
      }
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    if (event.type === 'VmSnapshotRequested') {
      const d = event.data;
      return {
        status: 'creating',
        vmSnapshotId: d.vmSnapshotId,
        vmId: d.vmId,
        name: d.name,
        groupName: d.groupName,
        members: d.members,
        created: null,
        lastError: null,
      };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'VmSnapshotCreated':
        return { ...state, status: 'ready', created: event.data.members, lastError: null };
      case 'VmSnapshotCreationFailed':
        return { ...state, status: 'error', lastError: event.data.error };
      case 'VmSnapshotDeletionRequested':
        return { ...state, status: 'deleting' };
      case 'VmSnapshotDeleted':
        return { ...state, status: 'deleted' };
      case 'VmSnapshotDeletionFailed':
        return { ...state, status: 'error', lastError: event.data.error };
      case 'VmSnapshotRevertRequested':
        return { ...state, status: 'reverting' };
      case 'VmSnapshotReverted':
        return { ...state, status: 'ready', lastError: null };
      case 'VmSnapshotRevertFailed':
        return { ...state, status: 'ready', lastError: event.data.error };
      default:
        return assertUnreachable(event);
    }
  },
};

export const vmSnapshotStreamId = (vmSnapshotId: string) => `vmsnapshot-${vmSnapshotId}`;
export const VM_SNAPSHOT_STREAM_PREFIX = 'vmsnapshot-';
/** Newest events that leave a VM snapshot mid-operation: recovery finishes these. */
export const TRANSITIONAL_VM_SNAPSHOT_EVENTS = ['VmSnapshotRequested', 'VmSnapshotDeletionRequested', 'VmSnapshotRevertRequested'] as const;
