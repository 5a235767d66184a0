import { assertUnreachable, uuidFromName, type Decider } from '@strata/kernel';
import type {
  ErrorInfo,
  TemplateBaseRemoved,
  TemplateBaseRetirementBlocked,
  TemplateBaseRetirementRequested,
  TemplateBaseVolumeCreated,
  TemplateSpooled,
  TemplateSpoolFailed,
  TemplateSpoolJoined,
  TemplateSpoolRequested,
} from '@strata/contracts';
import { TemplateBaseErrors } from './template-base.errors';

/**
 * A template's cached base on one pool (stream template-base-<baseId>): a RAW volume made
 * from the template's file (CreateVolume fromImage) and a snapshot of it, which ROOT volumes
 * are cloned from. One stream per (template, pool), so concurrent spools meet here and only
 * the first makes anything. The commands to the storage and snapshot services that each
 * event calls for are derived from it by commandsFor (pure), and go out through the outbox
 * with the event.
 */

export type TemplateBaseEvent =
  | { type: 'TemplateSpoolRequested'; data: TemplateSpoolRequested }
  | { type: 'TemplateSpoolJoined'; data: TemplateSpoolJoined }
  | { type: 'TemplateBaseVolumeCreated'; data: TemplateBaseVolumeCreated }
  | { type: 'TemplateSpooled'; data: TemplateSpooled }
  | { type: 'TemplateSpoolFailed'; data: TemplateSpoolFailed }
  | { type: 'TemplateBaseRetirementRequested'; data: TemplateBaseRetirementRequested }
  | { type: 'TemplateBaseRetirementBlocked'; data: TemplateBaseRetirementBlocked }
  | { type: 'TemplateBaseRemoved'; data: TemplateBaseRemoved };

/** What the bases context knows of a template (from the templates context, read by the handler). */
export interface TemplateFacts {
  readonly templateId: string;
  readonly status: 'absent' | 'registering' | 'ready' | 'failed' | 'deleting' | 'deleted';
  readonly kind: 'template' | 'iso' | null;
  readonly copyInZone: { readonly path: string; readonly format: 'qcow2' | 'raw' | 'iso'; readonly virtualSizeBytes: number } | null;
}

/** The pool as the image service's view has it: null when it never was added. */
export interface PoolFacts {
  readonly poolId: string;
  readonly zoneId: string;
  readonly deleted: boolean;
}

export type SpoolStage = 'creating-volume' | 'snapshotting';

export interface BaseFacts {
  readonly baseId: string;
  readonly templateId: string;
  readonly poolId: string;
  /** The current (latest) spool attempt; ids of its volume, snapshot and commands derive from it. */
  readonly attempt: number;
  readonly volumeId: string;
  readonly snapshotId: string;
  readonly sizeBytes: number;
  /** Where a spool is: waiting for its volume, then for its snapshot; null outside spooling. */
  readonly stage: SpoolStage | null;
  /** Retirements tried so far; the current one's DeleteVolume id derives from it. */
  readonly retirement: number;
  readonly retirementBlocked: boolean;
  readonly lastError: ErrorInfo | null;
}

export type TemplateBaseStatus = 'spooling' | 'ready' | 'failed' | 'retiring' | 'removed';
export type TemplateBaseState = { readonly status: 'absent' } | ({ readonly status: TemplateBaseStatus } & BaseFacts);

export type TemplateBaseCommand =
  | {
      readonly type: 'SpoolTemplate';
      readonly baseId: string;
      readonly templateId: string;
      readonly poolId: string;
      readonly template: TemplateFacts;
      readonly pool: PoolFacts | null;
      /** The host to convert through, when the request names one (else the storage service's default). */
      readonly dataMoverHostId?: string | null;
    }
  /** Outcomes, as the storage and snapshot services report them; one for another attempt (or a repeat) decides nothing. */
  | { readonly type: 'RecordVolumeCreated'; readonly volumeId: string }
  | { readonly type: 'RecordVolumeCreationFailed'; readonly volumeId: string; readonly error: ErrorInfo }
  | { readonly type: 'RecordSnapshotCreated'; readonly snapshotId: string }
  | { readonly type: 'RecordSnapshotCreationFailed'; readonly snapshotId: string; readonly error: ErrorInfo }
  | { readonly type: 'RecordVolumeDeleted'; readonly volumeId: string }
  /** A CommandRejected: which of our commands it answers is found by its id. */
  | { readonly type: 'RecordCommandRejected'; readonly commandId: string; readonly error: ErrorInfo; readonly details?: Readonly<Record<string, unknown>> }
  /** The template is gone: delete the base (again, after a block). */
  | { readonly type: 'RetireBase'; readonly baseId: string };

/** A command id derived by name (v5), so a resent command carries the same id. */
const commandId = (name: string) => uuidFromName(name);

/** Deterministic ids: a redelivered or recovered decision sends the same command, which the receiver's inbox deduplicates. */
export const baseIds = {
  volumeId: (baseId: string, attempt: number) => uuidFromName(`template-base:${baseId}:${attempt}:volume`),
  snapshotId: (baseId: string, attempt: number) => uuidFromName(`template-base:${baseId}:${attempt}:snapshot`),
  createVolumeCommand: (baseId: string, attempt: number) => commandId(`template-base:${baseId}:${attempt}:create`),
  createSnapshotCommand: (baseId: string, attempt: number) => commandId(`template-base:${baseId}:${attempt}:create-snapshot`),
  compensationCommand: (baseId: string, attempt: number) => commandId(`template-base:${baseId}:${attempt}:compensate`),
  retirementCommand: (baseId: string, retirement: number) => commandId(`template-base:${baseId}:retire:${retirement}`),
};

export const templateBaseStreamId = (baseId: string) => `template-base-${baseId}`;
export const TEMPLATE_BASE_STREAM_PREFIX = 'template-base-';

/** The storage volume's name: readable, and the same for every attempt (the id differs). */
export const baseVolumeName = (templateId: string) => `template-${templateId.slice(0, 8)}-base`;

type PresentBase = Exclude<TemplateBaseState, { status: 'absent' }>;

/** The refusals that hold whatever the base's state: the template must exist, be ready, not be an ISO; the pool must exist. */
function checkSpool(command: Extract<TemplateBaseCommand, { type: 'SpoolTemplate' }>): void {
  const t = command.template;
  if (t.status === 'absent' || t.status === 'deleted' || t.status === 'deleting') throw TemplateBaseErrors.templateNotFound(command.templateId);
  if (t.kind === 'iso') throw TemplateBaseErrors.templateIsIso(command.templateId);
  if (t.status !== 'ready') throw TemplateBaseErrors.templateNotReady(command.templateId, t.status);
  if (!command.pool || command.pool.deleted) throw TemplateBaseErrors.poolNotFound(command.poolId);
}

const failed = (base: PresentBase, error: ErrorInfo): TemplateBaseEvent => ({
  type: 'TemplateSpoolFailed',
  data: { baseId: base.baseId, templateId: base.templateId, poolId: base.poolId, error },
});

const spooled = (base: PresentBase): TemplateBaseEvent => ({
  type: 'TemplateSpooled',
  data: { baseId: base.baseId, templateId: base.templateId, poolId: base.poolId, volumeId: base.volumeId, snapshotId: base.snapshotId, sizeBytes: base.sizeBytes },
});

const removed = (base: PresentBase): TemplateBaseEvent => ({ type: 'TemplateBaseRemoved', data: { baseId: base.baseId, volumeId: base.volumeId } });

/** Codes of a DeleteVolume rejection that mean the volume is already gone. */
const GONE = new Set(['volume.not_found']);
/** Codes that mean a deletion is under way already: its VolumeDeleted will come. */
const UNDER_WAY = new Set(['volume.deletion_in_progress']);

export const templateBaseDecider: Decider<TemplateBaseState, TemplateBaseCommand, TemplateBaseEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'SpoolTemplate': {
        checkSpool(command);
        if (state.status === 'spooling') {
          return [{ type: 'TemplateSpoolJoined', data: { baseId: command.baseId, templateId: command.templateId, poolId: command.poolId } }];
        }
        if (state.status === 'ready') return [spooled(state)];
        if (state.status === 'retiring') throw TemplateBaseErrors.baseRetiring(command.baseId);
        // absent, failed or removed: a new attempt. The copy in the pool's zone is needed only to make one.
        const pool = command.pool as PoolFacts;
        const copy = command.template.copyInZone;
        if (!copy) throw TemplateBaseErrors.templateNotInZone(command.templateId, pool.zoneId);
        const attempt = state.status === 'absent' ? 1 : state.attempt + 1;
        return [
          {
            type: 'TemplateSpoolRequested',
            data: {
              baseId: command.baseId,
              templateId: command.templateId,
              poolId: command.poolId,
              volumeId: baseIds.volumeId(command.baseId, attempt),
              snapshotId: baseIds.snapshotId(command.baseId, attempt),
              sizeBytes: copy.virtualSizeBytes,
              attempt,
            },
          },
        ];
      }
      case 'RecordVolumeCreated': {
        if (state.status !== 'spooling' || state.stage !== 'creating-volume' || command.volumeId !== state.volumeId) return [];
        return [{ type: 'TemplateBaseVolumeCreated', data: { baseId: state.baseId, volumeId: state.volumeId } }];
      }
      case 'RecordVolumeCreationFailed': {
        if (state.status !== 'spooling' || state.stage !== 'creating-volume' || command.volumeId !== state.volumeId) return [];
        return [failed(state, command.error)];
      }
      case 'RecordSnapshotCreated': {
        if (state.status !== 'spooling' || state.stage !== 'snapshotting' || command.snapshotId !== state.snapshotId) return [];
        return [spooled(state)];
      }
      case 'RecordSnapshotCreationFailed': {
        if (state.status !== 'spooling' || state.stage !== 'snapshotting' || command.snapshotId !== state.snapshotId) return [];
        return [failed(state, command.error)];
      }
      case 'RecordVolumeDeleted': {
        if (state.status !== 'retiring' || command.volumeId !== state.volumeId) return [];
        return [removed(state)];
      }
      case 'RecordCommandRejected': {
        if (state.status === 'absent') return [];
        const { commandId, error } = command;
        if (state.status === 'spooling') {
          const answers =
            (state.stage === 'creating-volume' && commandId === baseIds.createVolumeCommand(state.baseId, state.attempt)) ||
            (state.stage === 'snapshotting' && commandId === baseIds.createSnapshotCommand(state.baseId, state.attempt));
          return answers ? [failed(state, error)] : [];
        }
        if (state.status === 'retiring' && !state.retirementBlocked && commandId === baseIds.retirementCommand(state.baseId, state.retirement)) {
          // Gone already: never made, or deleted (a DeleteVolume of a deleted volume is refused as illegal in that state).
          if (GONE.has(error.code) || (error.code === 'volume.illegal_state' && command.details?.status === 'deleted')) return [removed(state)];
          if (UNDER_WAY.has(error.code)) return [];
          // volume.has_clones above all (volumes cloned from the base): tried again by the sweep.
          return [{ type: 'TemplateBaseRetirementBlocked', data: { baseId: state.baseId, reason: `${error.code}: ${error.message}` } }];
        }
        return [];
      }
      case 'RetireBase': {
        switch (state.status) {
          case 'absent':
          case 'removed':
          case 'spooling':
            // A spool under way is retired once it ends (the sweep and the outcome handling look again).
            return [];
          case 'failed':
            // The failure's compensation already deletes whatever the attempt made.
            return [removed(state)];
          case 'retiring':
            if (!state.retirementBlocked) return [];
            return [{ type: 'TemplateBaseRetirementRequested', data: { baseId: state.baseId, volumeId: state.volumeId } }];
          case 'ready':
            return [{ type: 'TemplateBaseRetirementRequested', data: { baseId: state.baseId, volumeId: state.volumeId } }];
          default:
            return assertUnreachable(state);
        }
      }
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    if (event.type === 'TemplateSpoolRequested') {
      const d = event.data;
      return {
        status: 'spooling',
        baseId: d.baseId,
        templateId: d.templateId,
        poolId: d.poolId,
        attempt: d.attempt,
        volumeId: d.volumeId,
        snapshotId: d.snapshotId,
        sizeBytes: d.sizeBytes,
        stage: 'creating-volume',
        retirement: state.status === 'absent' ? 0 : state.retirement,
        retirementBlocked: false,
        lastError: null,
      };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'TemplateSpoolJoined':
        return state;
      case 'TemplateBaseVolumeCreated':
        return { ...state, stage: 'snapshotting' };
      case 'TemplateSpooled':
        return { ...state, status: 'ready', stage: null };
      case 'TemplateSpoolFailed':
        return { ...state, status: 'failed', stage: null, lastError: event.data.error };
      case 'TemplateBaseRetirementRequested':
        return { ...state, status: 'retiring', retirement: state.retirement + 1, retirementBlocked: false };
      case 'TemplateBaseRetirementBlocked':
        return { ...state, retirementBlocked: true, lastError: { code: 'template_base.retirement_blocked', category: 'illegal_state', message: event.data.reason } };
      case 'TemplateBaseRemoved':
        return { ...state, status: 'removed', stage: null };
      default:
        return assertUnreachable(event);
    }
  },
};

/** A command to another service that an event of the base calls for; the application wraps it in an envelope. */
export interface OutgoingCommand {
  readonly route: 'storage' | 'snapshot';
  readonly type: 'CreateVolume' | 'CreateSnapshot' | 'DeleteVolume';
  readonly commandId: string;
  readonly aggregateId: string;
  readonly data: Record<string, unknown>;
}

/**
 * What a newly decided event sends, given the state before it and the command that decided
 * it (a SpoolTemplate carries the image to convert: the template's copy in the pool's zone).
 */
export function commandsFor(before: TemplateBaseState, event: TemplateBaseEvent, cause: TemplateBaseCommand): OutgoingCommand[] {
  switch (event.type) {
    case 'TemplateSpoolRequested': {
      const d = event.data;
      const copy = cause.type === 'SpoolTemplate' ? cause.template.copyInZone : null;
      if (!copy || copy.format === 'iso') throw new Error(`TemplateSpoolRequested for base ${d.baseId} needs the image to convert`);
      const dataMover = cause.type === 'SpoolTemplate' && cause.dataMoverHostId ? { dataMoverHostId: cause.dataMoverHostId } : {};
      const image = { path: copy.path, format: copy.format, ...dataMover };
      return [
        {
          route: 'storage',
          type: 'CreateVolume',
          commandId: baseIds.createVolumeCommand(d.baseId, d.attempt),
          aggregateId: d.volumeId,
          data: { name: baseVolumeName(d.templateId), poolId: d.poolId, sizeBytes: d.sizeBytes, volumeType: 'ROOT', fromImage: image },
        },
      ];
    }
    case 'TemplateBaseVolumeCreated': {
      if (before.status === 'absent') return [];
      return [
        {
          route: 'snapshot',
          type: 'CreateSnapshot',
          commandId: baseIds.createSnapshotCommand(before.baseId, before.attempt),
          aggregateId: before.snapshotId,
          data: { volumeId: before.volumeId, name: `${baseVolumeName(before.templateId)}-snap` },
        },
      ];
    }
    case 'TemplateSpoolFailed': {
      // Nothing exists when the volume's CreateVolume was refused; otherwise the volume (and any snapshot) goes.
      if (before.status !== 'spooling') return [];
      if (before.stage === 'creating-volume' && cause.type === 'RecordCommandRejected') return [];
      return [
        {
          route: 'storage',
          type: 'DeleteVolume',
          commandId: baseIds.compensationCommand(before.baseId, before.attempt),
          aggregateId: before.volumeId,
          data: { deleteSnapshots: true },
        },
      ];
    }
    case 'TemplateBaseRetirementRequested': {
      if (before.status === 'absent') return [];
      return [
        {
          route: 'storage',
          type: 'DeleteVolume',
          commandId: baseIds.retirementCommand(before.baseId, before.retirement + 1),
          aggregateId: before.volumeId,
          data: { deleteSnapshots: true },
        },
      ];
    }
    default:
      return [];
  }
}
