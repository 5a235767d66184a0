import { deciderSpec } from '@strata/kernel';
import {
  awaitedCommandId,
  deploymentCommandId,
  deploymentDecider,
  deploymentEffects,
  type DeploymentEvent,
  type DeploymentPlan,
  type DeploymentSignal,
} from './deployment';
import { applyJobChange, deploymentJob } from './deployment-job';

const VOLUME = '00000000-0000-4000-8000-0000000000a1';
const TEMPLATE = '00000000-0000-4000-8000-0000000000b1';
const POOL = '00000000-0000-4000-8000-0000000000c1';
const BASE = '00000000-0000-5000-8000-0000000000d1';
const OTHER_BASE = '00000000-0000-5000-8000-0000000000d2';
const BASE_VOLUME = '00000000-0000-4000-8000-0000000000e1';
const BASE_SNAPSHOT = '00000000-0000-4000-8000-0000000000f1';
const OTHER_VOLUME = '00000000-0000-4000-8000-0000000000a2';
const JOB = '00000000-0000-4000-8000-000000000001';

const plan: DeploymentPlan = {
  volumeId: VOLUME,
  templateId: TEMPLATE,
  poolId: POOL,
  baseId: BASE,
  name: 'vm-1-root',
  sizeBytes: 20 * 2 ** 30,
  hypervisor: 'kvm',
  jobId: JOB,
  tenant: 'acme',
  correlationId: 'corr-1',
  startedAt: '2026-11-21T10:00:00.000Z',
};
const spoolId = deploymentCommandId(VOLUME, 'spool');
const createId = deploymentCommandId(VOLUME, 'create');
const deleteId = deploymentCommandId(VOLUME, 'compensate');
const boom = { code: 'backend.unavailable', category: 'transient', message: 'backend down' };

const started: DeploymentEvent = { type: 'DeploymentStarted', data: plan };
const baseReady: DeploymentEvent = { type: 'DeploymentBaseReady', data: { baseVolumeId: BASE_VOLUME, snapshotId: BASE_SNAPSHOT } };
const compensating: DeploymentEvent = { type: 'DeploymentCompensating', data: { error: boom } };
const created: DeploymentEvent = { type: 'DeploymentVolumeCreated', data: { volumeId: VOLUME, sizeBytes: plan.sizeBytes } };

const spooled = (over: Partial<Extract<DeploymentSignal, { type: 'TemplateSpooled' }>> = {}): DeploymentSignal => ({
  type: 'TemplateSpooled',
  baseId: BASE,
  volumeId: BASE_VOLUME,
  snapshotId: BASE_SNAPSHOT,
  causationId: spoolId,
  occurredAt: '2026-11-21T10:00:01.000Z',
  ...over,
});
const observe = (signal: DeploymentSignal) => ({ type: 'Observe' as const, signal });
const spec = deciderSpec(deploymentDecider);
const stateAfter = (events: DeploymentEvent[]) => events.reduce(deploymentDecider.evolve, deploymentDecider.initialState());

describe('deploy-ROOT saga decider', () => {
  describe('start', () => {
    it('starts once: a second start of the same saga decides nothing', () => {
      spec.given([]).when({ type: 'Start', plan }).then([started]);
      spec.given([started]).when({ type: 'Start', plan }).then([]);
    });

    it('sends SpoolTemplate for the base with an id derived from the saga, and runs the job at 10 %', () => {
      expect(deploymentEffects(stateAfter([started]), started)).toEqual({
        command: { topic: 'imageCommands', type: 'SpoolTemplate', messageId: spoolId, aggregateId: BASE, data: { templateId: TEMPLATE, poolId: POOL } },
        job: { status: 'running', progress: 10 },
      });
    });

    it('passes the data mover host the request named on to SpoolTemplate', () => {
      const mover = '4f7c2a10-93b1-4d52-8e6f-0a1b2c3d4e5f';
      const withMover = { ...started, data: { ...plan, dataMoverHostId: mover } };
      expect(deploymentEffects(stateAfter([withMover]), withMover).command).toMatchObject({ data: { templateId: TEMPLATE, poolId: POOL, dataMoverHostId: mover } });
    });

    it('derives the same name-based (v5) command id for a step every time, a different one per step and saga', () => {
      expect(deploymentCommandId(VOLUME, 'spool')).toBe(spoolId);
      expect(spoolId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(new Set([spoolId, createId, deleteId, deploymentCommandId(OTHER_VOLUME, 'spool')]).size).toBe(4);
    });
  });

  describe('step 1: the base', () => {
    it('TemplateSpooled answering its SpoolTemplate: base ready; CreateVolume fromSnapshot of the base, grown to sizeBytes, job at 50 %', () => {
      spec.given([started]).when(observe(spooled())).then([baseReady]);
      expect(deploymentEffects(stateAfter([started, baseReady]), baseReady)).toEqual({
        command: {
          topic: 'storageCommands',
          type: 'CreateVolume',
          messageId: createId,
          aggregateId: VOLUME,
          data: {
            name: 'vm-1-root',
            sizeBytes: plan.sizeBytes,
            volumeType: 'ROOT',
            poolId: POOL,
            fromSnapshot: { snapshotId: BASE_SNAPSHOT, volumeId: BASE_VOLUME },
            hypervisor: 'kvm',
          },
        },
        job: { status: 'running', progress: 50 },
      });
    });

    it("a TemplateSpooled of someone else's spool counts when it came after the saga started, not before", () => {
      spec.given([started]).when(observe(spooled({ causationId: 'someone-else', occurredAt: '2026-11-21T10:00:05.000Z' }))).then([baseReady]);
      spec.given([started]).when(observe(spooled({ causationId: null, occurredAt: '2026-11-21T09:59:59.000Z' }))).then([]);
    });

    it('TemplateSpoolJoined keeps waiting; the joined spool\'s outcome is the saga\'s', () => {
      spec.given([started]).when(observe({ type: 'TemplateSpoolJoined', baseId: BASE })).then([]);
      spec
        .given([started])
        .when(observe({ type: 'TemplateSpoolFailed', baseId: BASE, error: boom, causationId: 'someone-else', occurredAt: '2026-11-21T10:00:03.000Z' }))
        .then([{ type: 'DeploymentFailed', data: { step: 'spool', error: boom } }]);
    });

    it('TemplateSpoolFailed or a rejection of its SpoolTemplate fails the saga with nothing to undo', () => {
      const failed: DeploymentEvent = { type: 'DeploymentFailed', data: { step: 'spool', error: boom } };
      spec.given([started]).when(observe({ type: 'TemplateSpoolFailed', baseId: BASE, error: boom, causationId: spoolId, occurredAt: '2026-11-21T10:00:01.000Z' })).then([failed]);
      spec.given([started]).when(observe({ type: 'CommandRejected', commandId: spoolId, error: boom })).then([failed]);
      expect(deploymentEffects(stateAfter([started, failed]), failed)).toEqual({
        job: { status: 'failed', progress: 10, error: { ...boom, details: { volumeId: VOLUME, templateId: TEMPLATE, poolId: POOL, step: 'spool' } } },
      });
    });

    it("ignores other bases, other commands' rejections and volume events while spooling", () => {
      spec.given([started]).when(observe(spooled({ baseId: OTHER_BASE }))).then([]);
      spec.given([started]).when(observe({ type: 'TemplateSpoolFailed', baseId: OTHER_BASE, error: boom, causationId: null, occurredAt: '2026-11-21T10:00:03.000Z' })).then([]);
      spec.given([started]).when(observe({ type: 'CommandRejected', commandId: createId, error: boom })).then([]);
      spec.given([started]).when(observe({ type: 'VolumeCreated', volumeId: VOLUME, sizeBytes: 1 })).then([]);
    });
  });

  describe('step 2: the volume', () => {
    it('VolumeCreated of its volume: done, job succeeded at 100 % with the volume', () => {
      spec.given([started, baseReady]).when(observe({ type: 'VolumeCreated', volumeId: VOLUME, sizeBytes: plan.sizeBytes })).then([created]);
      expect(deploymentEffects(stateAfter([started, baseReady, created]), created)).toEqual({
        job: { status: 'succeeded', progress: 100, result: { volumeId: VOLUME, templateId: TEMPLATE, poolId: POOL, sizeBytes: plan.sizeBytes } },
      });
    });

    it('a rejected CreateVolume fails the saga: nothing was recorded, nothing to undo', () => {
      spec
        .given([started, baseReady])
        .when(observe({ type: 'CommandRejected', commandId: createId, error: boom }))
        .then([{ type: 'DeploymentFailed', data: { step: 'create', error: boom } }]);
    });

    it('ignores a late or repeated TemplateSpooled, and other volumes, while creating', () => {
      spec.given([started, baseReady]).when(observe(spooled())).then([]);
      spec.given([started, baseReady]).when(observe({ type: 'VolumeCreated', volumeId: OTHER_VOLUME, sizeBytes: 1 })).then([]);
      spec.given([started, baseReady]).when(observe({ type: 'VolumeCreationFailed', volumeId: OTHER_VOLUME, error: boom })).then([]);
      spec.given([started, baseReady]).when(observe({ type: 'CommandRejected', commandId: spoolId, error: boom })).then([]);
    });
  });

  describe('step 3: compensation', () => {
    it('VolumeCreationFailed: the recorded volume is deleted first (DeleteVolume, same derived id on every resend)', () => {
      spec.given([started, baseReady]).when(observe({ type: 'VolumeCreationFailed', volumeId: VOLUME, error: boom })).then([compensating]);
      expect(deploymentEffects(stateAfter([started, baseReady, compensating]), compensating)).toEqual({
        command: { topic: 'storageCommands', type: 'DeleteVolume', messageId: deleteId, aggregateId: VOLUME, data: {} },
        job: { status: 'running', progress: 50 },
      });
      expect(awaitedCommandId(stateAfter([started, baseReady, compensating]))).toBe(deleteId);
    });

    it('VolumeDeleted: then the saga fails, with the creation error', () => {
      const failed: DeploymentEvent = { type: 'DeploymentFailed', data: { step: 'create', error: boom } };
      spec.given([started, baseReady, compensating]).when(observe({ type: 'VolumeDeleted', volumeId: VOLUME })).then([failed]);
      expect(deploymentEffects(stateAfter([started, baseReady, compensating, failed]), failed).job).toMatchObject({ status: 'failed', error: { code: 'backend.unavailable' } });
    });

    it('a failed or refused compensation fails the saga naming the volume left behind', () => {
      const leftOver = {
        type: 'DeploymentFailed',
        data: {
          step: 'compensate',
          error: { code: 'deployment.compensation_failed', category: 'conflict', message: expect.stringContaining(`the failed volume ${VOLUME} could not be deleted`) },
        },
      };
      const refusal = { code: 'volume.operation_in_progress', category: 'conflict', message: 'busy' };
      expect(deploymentDecider.decide(observe({ type: 'VolumeDeletionFailed', volumeId: VOLUME, error: refusal }), stateAfter([started, baseReady, compensating]))).toEqual([leftOver]);
      expect(deploymentDecider.decide(observe({ type: 'CommandRejected', commandId: deleteId, error: refusal }), stateAfter([started, baseReady, compensating]))).toEqual([leftOver]);
    });

    it('ignores a late VolumeCreated or a repeated VolumeCreationFailed while compensating', () => {
      spec.given([started, baseReady, compensating]).when(observe({ type: 'VolumeCreationFailed', volumeId: VOLUME, error: boom })).then([]);
      spec.given([started, baseReady, compensating]).when(observe({ type: 'VolumeCreated', volumeId: VOLUME, sizeBytes: 1 })).then([]);
    });
  });

  describe('finished', () => {
    it('decides nothing more after success or failure (duplicates and stale answers)', () => {
      const failed: DeploymentEvent = { type: 'DeploymentFailed', data: { step: 'spool', error: boom } };
      for (const history of [[started, baseReady, created], [started, failed]]) {
        for (const signal of [
          spooled(),
          { type: 'VolumeCreated', volumeId: VOLUME, sizeBytes: 1 } as const,
          { type: 'VolumeCreationFailed', volumeId: VOLUME, error: boom } as const,
          { type: 'VolumeDeleted', volumeId: VOLUME } as const,
          { type: 'CommandRejected', commandId: createId, error: boom } as const,
        ]) {
          spec.given(history).when(observe(signal)).then([]);
        }
        expect(awaitedCommandId(stateAfter(history))).toBeNull();
      }
    });

    it('nothing observed before the start moves a saga', () => {
      spec.given([]).when(observe(spooled())).then([]);
    });
  });

  describe('its job', () => {
    const at = new Date('2026-11-21T10:00:00.000Z');
    const later = new Date('2026-11-21T10:01:00.000Z');

    it('starts as the saga, then moves with each step; a finished job stays finished', () => {
      const job = deploymentJob(plan, at);
      expect(job).toEqual({
        id: JOB,
        commandType: 'DeployTemplateVolume',
        aggregateId: VOLUME,
        tenant: 'acme',
        status: 'accepted',
        result: null,
        error: null,
        progress: 0,
        createdAt: at,
        updatedAt: at,
      });
      const running = applyJobChange(job, { status: 'running', progress: 50 }, later);
      expect(running).toMatchObject({ status: 'running', progress: 50, updatedAt: later });
      const done = applyJobChange(running, { status: 'succeeded', progress: 100, result: { volumeId: VOLUME } }, later);
      expect(done).toMatchObject({ status: 'succeeded', progress: 100, result: { volumeId: VOLUME } });
      expect(applyJobChange(done, { status: 'failed', progress: 50, error: { ...boom, details: {} } }, later)).toBe(done);
      const failed = applyJobChange(running, { status: 'failed', progress: 50, error: { ...boom, details: { step: 'create' } } }, later);
      expect(failed.error).toEqual({ ...boom, violations: [], details: { step: 'create' } });
    });
  });
});
