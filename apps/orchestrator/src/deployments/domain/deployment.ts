import { type Decider, uuidFromName } from '@strata/kernel';

/**
 * The deploy-ROOT saga: a ROOT volume cloned from a template's cached base on a pool.
 *   1. SpoolTemplate (image service) until the base is ready on the pool;
 *   2. CreateVolume fromSnapshot (storage service): a clone of the base's snapshot;
 *   3. if the volume was recorded but not made (VolumeCreationFailed): DeleteVolume, then failed.
 * Pure: times and ids come in the commands; what each event sends and how it moves the job
 * is deploymentEffects below.
 */

export interface ErrorInfo {
  readonly code: string;
  readonly category: string;
  readonly message: string;
}

/** What the REST call asked for, fixed when the saga starts. */
export interface DeploymentPlan {
  readonly volumeId: string;
  readonly templateId: string;
  readonly poolId: string;
  /** templateBaseId(templateId, poolId): the image service's stream the saga waits on. */
  readonly baseId: string;
  readonly name: string;
  readonly sizeBytes: number;
  readonly hypervisor: string | null;
  /** The host that writes the template into the base (absent in sagas started before it existed). */
  readonly dataMoverHostId?: string | null;
  /** The REST call's job: this saga moves it. */
  readonly jobId: string;
  readonly tenant: string | null;
  /** The REST call's X-Correlation-Id (its job id when none): every command of the saga carries it. */
  readonly correlationId: string;
  readonly startedAt: string;
}

export type DeploymentEvent =
  | { readonly type: 'DeploymentStarted'; readonly data: DeploymentPlan }
  | { readonly type: 'DeploymentBaseReady'; readonly data: { readonly baseVolumeId: string; readonly snapshotId: string } }
  | { readonly type: 'DeploymentVolumeCreated'; readonly data: { readonly volumeId: string; readonly sizeBytes: number } }
  | { readonly type: 'DeploymentCompensating'; readonly data: { readonly error: ErrorInfo } }
  | { readonly type: 'DeploymentFailed'; readonly data: { readonly step: DeploymentStep; readonly error: ErrorInfo } };

export type DeploymentStep = 'spool' | 'create' | 'compensate';

/** What the saga hears, as read from the event topics (see signalOf in the process). */
export type DeploymentSignal =
  | { readonly type: 'TemplateSpooled'; readonly baseId: string; readonly volumeId: string; readonly snapshotId: string; readonly causationId: string | null; readonly occurredAt: string }
  | { readonly type: 'TemplateSpoolJoined'; readonly baseId: string }
  | { readonly type: 'TemplateSpoolFailed'; readonly baseId: string; readonly error: ErrorInfo; readonly causationId: string | null; readonly occurredAt: string }
  | { readonly type: 'CommandRejected'; readonly commandId: string; readonly error: ErrorInfo }
  | { readonly type: 'VolumeCreated'; readonly volumeId: string; readonly sizeBytes: number }
  | { readonly type: 'VolumeCreationFailed'; readonly volumeId: string; readonly error: ErrorInfo }
  | { readonly type: 'VolumeDeleted'; readonly volumeId: string }
  | { readonly type: 'VolumeDeletionFailed'; readonly volumeId: string; readonly error: ErrorInfo };

export type DeploymentCommand = { readonly type: 'Start'; readonly plan: DeploymentPlan } | { readonly type: 'Observe'; readonly signal: DeploymentSignal };

export type DeploymentStatus = 'none' | 'spooling' | 'creating' | 'compensating' | 'succeeded' | 'failed';

export interface DeploymentState {
  readonly status: DeploymentStatus;
  readonly plan: DeploymentPlan | null;
  readonly base: { readonly baseVolumeId: string; readonly snapshotId: string } | null;
  /** Why the volume's creation failed, kept through its compensation. */
  readonly error: ErrorInfo | null;
}

/**
 * A command's id derived from the saga and its step, so a step resent after a crash carries
 * the same id (the receiver's inbox drops the second). Name-based (uuidFromName, v5).
 */
export function deploymentCommandId(volumeId: string, step: DeploymentStep): string {
  return uuidFromName(`deploy-root:${volumeId}:${step}`);
}

export const deploymentStreamId = (volumeId: string) => `deploy-${volumeId}`;

/** The command the saga waits for an answer to in this state; null when it waits for none. */
export function awaitedCommandId(state: DeploymentState): string | null {
  if (!state.plan) return null;
  if (state.status === 'spooling') return deploymentCommandId(state.plan.volumeId, 'spool');
  if (state.status === 'creating') return deploymentCommandId(state.plan.volumeId, 'create');
  if (state.status === 'compensating') return deploymentCommandId(state.plan.volumeId, 'compensate');
  return null;
}

const initialState = (): DeploymentState => ({ status: 'none', plan: null, base: null, error: null });

function evolve(state: DeploymentState, event: DeploymentEvent): DeploymentState {
  switch (event.type) {
    case 'DeploymentStarted':
      return { ...state, status: 'spooling', plan: event.data };
    case 'DeploymentBaseReady':
      return { ...state, status: 'creating', base: { ...event.data } };
    case 'DeploymentVolumeCreated':
      return { ...state, status: 'succeeded' };
    case 'DeploymentCompensating':
      return { ...state, status: 'compensating', error: event.data.error };
    case 'DeploymentFailed':
      return { ...state, status: 'failed', error: event.data.error };
  }
}

/**
 * A base answer counts when it answers the saga's own SpoolTemplate, or when it came after the
 * saga started (a spool someone else started, which the saga's request joined or found): an
 * older one, projected late, may describe a base retired since.
 */
function answersSpool(plan: DeploymentPlan, causationId: string | null, occurredAt: string): boolean {
  if (causationId === deploymentCommandId(plan.volumeId, 'spool')) return true;
  return Date.parse(occurredAt) >= Date.parse(plan.startedAt);
}

function observe(state: DeploymentState, signal: DeploymentSignal): DeploymentEvent[] {
  const plan = state.plan;
  if (!plan) return [];
  const awaited = awaitedCommandId(state);
  switch (state.status) {
    case 'spooling':
      if (signal.type === 'TemplateSpooled' && signal.baseId === plan.baseId && answersSpool(plan, signal.causationId, signal.occurredAt)) {
        return [{ type: 'DeploymentBaseReady', data: { baseVolumeId: signal.volumeId, snapshotId: signal.snapshotId } }];
      }
      if (signal.type === 'TemplateSpoolFailed' && signal.baseId === plan.baseId && answersSpool(plan, signal.causationId, signal.occurredAt)) {
        return [{ type: 'DeploymentFailed', data: { step: 'spool', error: signal.error } }];
      }
      if (signal.type === 'CommandRejected' && signal.commandId === awaited) {
        return [{ type: 'DeploymentFailed', data: { step: 'spool', error: signal.error } }];
      }
      // TemplateSpoolJoined: a spool is under way; its outcome is the saga's too.
      return [];
    case 'creating':
      if (signal.type === 'VolumeCreated' && signal.volumeId === plan.volumeId) {
        return [{ type: 'DeploymentVolumeCreated', data: { volumeId: plan.volumeId, sizeBytes: signal.sizeBytes } }];
      }
      // Recorded by the storage service, then failed: what it recorded is removed before the saga fails.
      if (signal.type === 'VolumeCreationFailed' && signal.volumeId === plan.volumeId) {
        return [{ type: 'DeploymentCompensating', data: { error: signal.error } }];
      }
      // Refused before anything was recorded: nothing to undo (the base is the image service's shared cache).
      if (signal.type === 'CommandRejected' && signal.commandId === awaited) {
        return [{ type: 'DeploymentFailed', data: { step: 'create', error: signal.error } }];
      }
      return [];
    case 'compensating': {
      const cause = state.error ?? { code: 'deployment.failed', category: 'internal', message: 'the volume could not be created' };
      if (signal.type === 'VolumeDeleted' && signal.volumeId === plan.volumeId) {
        return [{ type: 'DeploymentFailed', data: { step: 'create', error: cause } }];
      }
      const leftOver = (why: ErrorInfo): DeploymentEvent => ({
        type: 'DeploymentFailed',
        data: {
          step: 'compensate',
          error: {
            code: 'deployment.compensation_failed',
            category: why.category,
            message: `${cause.message}; the failed volume ${plan.volumeId} could not be deleted (${why.code}: ${why.message}): delete it by hand`,
          },
        },
      });
      if (signal.type === 'VolumeDeletionFailed' && signal.volumeId === plan.volumeId) return [leftOver(signal.error)];
      if (signal.type === 'CommandRejected' && signal.commandId === awaited) return [leftOver(signal.error)];
      return [];
    }
    default:
      // Not started, or finished: late and repeated answers change nothing.
      return [];
  }
}

function decide(command: DeploymentCommand, state: DeploymentState): DeploymentEvent[] {
  if (command.type === 'Start') return state.status === 'none' ? [{ type: 'DeploymentStarted', data: command.plan }] : [];
  return observe(state, command.signal);
}

export const deploymentDecider: Decider<DeploymentState, DeploymentCommand, DeploymentEvent> = { decide, evolve, initialState };

/** A command the saga sends: to which service's topic, keyed by which aggregate. */
export interface DeploymentCommandOut {
  readonly topic: 'imageCommands' | 'storageCommands';
  readonly type: 'SpoolTemplate' | 'CreateVolume' | 'DeleteVolume';
  readonly messageId: string;
  readonly aggregateId: string;
  readonly data: Record<string, unknown>;
}

/** How the saga's job changes. */
export interface DeploymentJobChange {
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly progress: number;
  readonly result?: Record<string, unknown>;
  readonly error?: ErrorInfo & { readonly details: Record<string, unknown> };
}

export interface DeploymentEffects {
  readonly command?: DeploymentCommandOut;
  readonly job?: DeploymentJobChange;
}

/** What one of the saga's events sends, and how it moves the REST call's job; `state` is the state the event led to. */
export function deploymentEffects(state: DeploymentState, event: DeploymentEvent): DeploymentEffects {
  const plan = state.plan;
  if (!plan) return {};
  switch (event.type) {
    case 'DeploymentStarted':
      return {
        command: {
          topic: 'imageCommands',
          type: 'SpoolTemplate',
          messageId: deploymentCommandId(plan.volumeId, 'spool'),
          aggregateId: plan.baseId,
          data: { templateId: plan.templateId, poolId: plan.poolId, ...(plan.dataMoverHostId ? { dataMoverHostId: plan.dataMoverHostId } : {}) },
        },
        job: { status: 'running', progress: 10 },
      };
    case 'DeploymentBaseReady':
      return {
        command: {
          topic: 'storageCommands',
          type: 'CreateVolume',
          messageId: deploymentCommandId(plan.volumeId, 'create'),
          aggregateId: plan.volumeId,
          data: {
            name: plan.name,
            sizeBytes: plan.sizeBytes,
            volumeType: 'ROOT',
            poolId: plan.poolId,
            fromSnapshot: { snapshotId: event.data.snapshotId, volumeId: event.data.baseVolumeId },
            ...(plan.hypervisor ? { hypervisor: plan.hypervisor } : {}),
          },
        },
        job: { status: 'running', progress: 50 },
      };
    case 'DeploymentVolumeCreated':
      return {
        job: {
          status: 'succeeded',
          progress: 100,
          result: { volumeId: plan.volumeId, templateId: plan.templateId, poolId: plan.poolId, sizeBytes: event.data.sizeBytes },
        },
      };
    case 'DeploymentCompensating':
      return {
        command: { topic: 'storageCommands', type: 'DeleteVolume', messageId: deploymentCommandId(plan.volumeId, 'compensate'), aggregateId: plan.volumeId, data: {} },
        job: { status: 'running', progress: 50 },
      };
    case 'DeploymentFailed':
      return {
        job: {
          status: 'failed',
          progress: event.data.step === 'spool' ? 10 : 50,
          error: { ...event.data.error, details: { volumeId: plan.volumeId, templateId: plan.templateId, poolId: plan.poolId, step: event.data.step } },
        },
      };
  }
}
