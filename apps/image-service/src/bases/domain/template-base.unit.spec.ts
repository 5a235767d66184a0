import { deciderSpec, fold } from '@strata/kernel';
import { templateBaseId } from '@strata/contracts';
import {
  baseIds,
  commandsFor,
  templateBaseDecider,
  type TemplateBaseCommand,
  type TemplateBaseEvent,
  type TemplateFacts,
} from './template-base';

const templateId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const baseId = templateBaseId(templateId, poolId);
const spec = deciderSpec(templateBaseDecider);
const GiB = 2 ** 30;

const template: TemplateFacts = {
  templateId,
  status: 'ready',
  kind: 'template',
  copyInZone: { path: '/store/z1/t.qcow2', format: 'qcow2', virtualSizeBytes: 2 * GiB },
};
const pool = { poolId, zoneId: 'z1', deleted: false };
const spool: TemplateBaseCommand = { type: 'SpoolTemplate', baseId, templateId, poolId, template, pool };

const requested = (attempt: number): TemplateBaseEvent => ({
  type: 'TemplateSpoolRequested',
  data: {
    baseId,
    templateId,
    poolId,
    volumeId: baseIds.volumeId(baseId, attempt),
    snapshotId: baseIds.snapshotId(baseId, attempt),
    sizeBytes: 2 * GiB,
    attempt,
  },
});
const v1 = baseIds.volumeId(baseId, 1);
const s1 = baseIds.snapshotId(baseId, 1);
const volumeCreated: TemplateBaseEvent = { type: 'TemplateBaseVolumeCreated', data: { baseId, volumeId: v1 } };
const spooled: TemplateBaseEvent = {
  type: 'TemplateSpooled',
  data: { baseId, templateId, poolId, volumeId: v1, snapshotId: s1, sizeBytes: 2 * GiB },
};
const error = { code: 'snapshot.backend_failed', category: 'backend.terminal', message: 'no space for the snapshot' };
const spoolFailed: TemplateBaseEvent = { type: 'TemplateSpoolFailed', data: { baseId, templateId, poolId, error } };
const retirementRequested: TemplateBaseEvent = { type: 'TemplateBaseRetirementRequested', data: { baseId, volumeId: v1 } };
const blocked: TemplateBaseEvent = { type: 'TemplateBaseRetirementBlocked', data: { baseId, reason: 'volume.has_clones: volumes are cloned from it' } };
const removedEvent: TemplateBaseEvent = { type: 'TemplateBaseRemoved', data: { baseId, volumeId: v1 } };

function thrown(run: () => unknown): { code?: string; details?: { violations?: { field: string }[] } } {
  try {
    run();
  } catch (e) {
    return e as never;
  }
  throw new Error('expected a refusal');
}

describe('template base decider', () => {
  describe('SpoolTemplate', () => {
    it('the first spool records the attempt with deterministic volume and snapshot ids, sized by the template', () => {
      spec.given([]).when(spool).then([requested(1)]);
      expect(baseIds.volumeId(baseId, 1)).toBe(baseIds.volumeId(baseId, 1));
      expect(baseIds.volumeId(baseId, 1)).not.toBe(baseIds.volumeId(baseId, 2));
    });
    it('and sends one CreateVolume fromImage of the template onto the pool', () => {
      expect(commandsFor({ status: 'absent' }, requested(1), spool)).toEqual([
        {
          route: 'storage',
          type: 'CreateVolume',
          commandId: baseIds.createVolumeCommand(baseId, 1),
          aggregateId: v1,
          data: { name: `template-${templateId.slice(0, 8)}-base`, poolId, sizeBytes: 2 * GiB, volumeType: 'ROOT', fromImage: { path: '/store/z1/t.qcow2', format: 'qcow2' } },
        },
      ]);
    });
    it('converts through the data mover host the request names', () => {
      const mover = '4f7c2a10-93b1-4d52-8e6f-0a1b2c3d4e5f';
      const [create] = commandsFor({ status: 'absent' }, requested(1), { ...spool, dataMoverHostId: mover });
      expect(create.data).toMatchObject({ fromImage: { path: '/store/z1/t.qcow2', format: 'qcow2', dataMoverHostId: mover } });
    });
    it('a spool under way is joined, not repeated (and the join sends nothing)', () => {
      spec.given([requested(1)]).when(spool).then([{ type: 'TemplateSpoolJoined', data: { baseId, templateId, poolId } }]);
      spec.given([requested(1), volumeCreated]).when(spool).then([{ type: 'TemplateSpoolJoined', data: { baseId, templateId, poolId } }]);
      expect(commandsFor(fold(templateBaseDecider, [requested(1)]), { type: 'TemplateSpoolJoined', data: { baseId, templateId, poolId } }, spool)).toEqual([]);
    });
    it('a ready base is answered at once with TemplateSpooled', () => {
      spec.given([requested(1), volumeCreated, spooled]).when(spool).then([spooled]);
    });
    it('after a failure, a new spool starts the next attempt with new ids', () => {
      spec.given([requested(1), volumeCreated, spoolFailed]).when(spool).then([requested(2)]);
    });
    it('after removal, a new spool starts again', () => {
      spec.given([requested(1), volumeCreated, spooled, retirementRequested, removedEvent]).when(spool).then([requested(2)]);
    });
    it('refuses a missing or deleted template, naming data.templateId', () => {
      for (const status of ['absent', 'deleted', 'deleting'] as const) {
        const e = thrown(() => templateBaseDecider.decide({ ...spool, template: { ...template, status } } as TemplateBaseCommand, { status: 'absent' }));
        expect(e).toMatchObject({ code: 'template.not_found', details: { violations: [{ field: 'data.templateId' }] } });
      }
    });
    it('refuses a template not ready, an ISO, and one without a copy in the pool\'s zone', () => {
      spec.given([]).when({ ...spool, template: { ...template, status: 'registering' } }).thenThrows('template.not_ready', /registering/);
      spec.given([]).when({ ...spool, template: { ...template, kind: 'iso' } }).thenThrows('template.is_iso');
      spec.given([]).when({ ...spool, template: { ...template, copyInZone: null } }).thenThrows('template.not_in_zone', /zone z1/);
    });
    it('refuses an unknown or deleted pool, naming data.poolId', () => {
      const e = thrown(() => templateBaseDecider.decide({ ...spool, pool: null } as TemplateBaseCommand, { status: 'absent' }));
      expect(e).toMatchObject({ code: 'pool.not_found', details: { violations: [{ field: 'data.poolId' }] } });
      spec.given([]).when({ ...spool, pool: { ...pool, deleted: true } }).thenThrows('pool.not_found');
    });
    it('refuses while the base is being retired', () => {
      spec.given([requested(1), volumeCreated, spooled, retirementRequested]).when(spool).thenThrows('template_base.retiring');
    });
  });

  describe('outcomes', () => {
    it('VolumeCreated of the current attempt: the volume is made, and its snapshot is asked for', () => {
      spec.given([requested(1)]).when({ type: 'RecordVolumeCreated', volumeId: v1 }).then([volumeCreated]);
      expect(commandsFor(fold(templateBaseDecider, [requested(1)]), volumeCreated, { type: 'RecordVolumeCreated', volumeId: v1 })).toEqual([
        {
          route: 'snapshot',
          type: 'CreateSnapshot',
          commandId: baseIds.createSnapshotCommand(baseId, 1),
          aggregateId: s1,
          data: { volumeId: v1, name: `template-${templateId.slice(0, 8)}-base-snap` },
        },
      ]);
    });
    it('SnapshotCreated: the base is ready', () => {
      spec.given([requested(1), volumeCreated]).when({ type: 'RecordSnapshotCreated', snapshotId: s1 }).then([spooled]);
    });
    it('the same outcome twice, or one of another attempt, decides nothing', () => {
      spec.given([requested(1), volumeCreated]).when({ type: 'RecordVolumeCreated', volumeId: v1 }).then([]);
      spec.given([requested(1), volumeCreated, spooled]).when({ type: 'RecordSnapshotCreated', snapshotId: s1 }).then([]);
      const stale = [requested(1), volumeCreated, spoolFailed, requested(2)];
      spec.given(stale).when({ type: 'RecordVolumeCreated', volumeId: v1 }).then([]);
      spec.given(stale).when({ type: 'RecordSnapshotCreationFailed', snapshotId: s1, error }).then([]);
      spec.given(stale).when({ type: 'RecordCommandRejected', commandId: baseIds.createVolumeCommand(baseId, 1), error }).then([]);
      spec.given(stale).when({ type: 'RecordVolumeDeleted', volumeId: v1 }).then([]);
    });
    it('VolumeCreationFailed: the spool fails, and the volume record is deleted (compensation)', () => {
      const cause: TemplateBaseCommand = { type: 'RecordVolumeCreationFailed', volumeId: v1, error };
      spec.given([requested(1)]).when(cause).then([spoolFailed]);
      expect(commandsFor(fold(templateBaseDecider, [requested(1)]), spoolFailed, cause)).toEqual([
        { route: 'storage', type: 'DeleteVolume', commandId: baseIds.compensationCommand(baseId, 1), aggregateId: v1, data: { deleteSnapshots: true } },
      ]);
    });
    it('CreateVolume rejected: the spool fails, and nothing is to delete', () => {
      const cause: TemplateBaseCommand = { type: 'RecordCommandRejected', commandId: baseIds.createVolumeCommand(baseId, 1), error };
      spec.given([requested(1)]).when(cause).then([spoolFailed]);
      expect(commandsFor(fold(templateBaseDecider, [requested(1)]), spoolFailed, cause)).toEqual([]);
    });
    it('SnapshotCreationFailed or CreateSnapshot rejected: the spool fails and the volume goes with its snapshots', () => {
      const given = [requested(1), volumeCreated];
      for (const cause of [
        { type: 'RecordSnapshotCreationFailed', snapshotId: s1, error },
        { type: 'RecordCommandRejected', commandId: baseIds.createSnapshotCommand(baseId, 1), error },
      ] as TemplateBaseCommand[]) {
        spec.given(given).when(cause).then([spoolFailed]);
        expect(commandsFor(fold(templateBaseDecider, given), spoolFailed, cause)).toEqual([
          { route: 'storage', type: 'DeleteVolume', commandId: baseIds.compensationCommand(baseId, 1), aggregateId: v1, data: { deleteSnapshots: true } },
        ]);
      }
    });
    it('a rejection of a command that is not ours decides nothing', () => {
      spec.given([requested(1)]).when({ type: 'RecordCommandRejected', commandId: baseIds.createSnapshotCommand(baseId, 1), error }).then([]);
    });
  });

  describe('retirement', () => {
    const ready = [requested(1), volumeCreated, spooled];
    it('a ready base: retirement requested, with a DeleteVolume of the base volume and its snapshots', () => {
      spec.given(ready).when({ type: 'RetireBase', baseId }).then([retirementRequested]);
      expect(commandsFor(fold(templateBaseDecider, ready), retirementRequested, { type: 'RetireBase', baseId })).toEqual([
        { route: 'storage', type: 'DeleteVolume', commandId: baseIds.retirementCommand(baseId, 1), aggregateId: v1, data: { deleteSnapshots: true } },
      ]);
    });
    it('volume.has_clones: blocked; tried again with a new command id; then removed', () => {
      const retiring = [...ready, retirementRequested];
      const clones = { code: 'volume.has_clones', category: 'illegal_state', message: 'volumes are cloned from it' };
      spec.given(retiring).when({ type: 'RecordCommandRejected', commandId: baseIds.retirementCommand(baseId, 1), error: clones }).then([blocked]);
      // Not blocked yet: nothing new to send.
      spec.given(retiring).when({ type: 'RetireBase', baseId }).then([]);
      const afterBlock = [...retiring, blocked];
      spec.given(afterBlock).when({ type: 'RetireBase', baseId }).then([retirementRequested]);
      expect(commandsFor(fold(templateBaseDecider, afterBlock), retirementRequested, { type: 'RetireBase', baseId })[0].commandId).toBe(
        baseIds.retirementCommand(baseId, 2),
      );
      const again = [...afterBlock, retirementRequested];
      // The first attempt's rejection, redelivered, is stale now.
      spec.given(again).when({ type: 'RecordCommandRejected', commandId: baseIds.retirementCommand(baseId, 1), error: clones }).then([]);
      spec.given(again).when({ type: 'RecordVolumeDeleted', volumeId: v1 }).then([removedEvent]);
      spec.given([...again, removedEvent]).when({ type: 'RecordVolumeDeleted', volumeId: v1 }).then([]);
    });
    it('a volume already gone counts as removed', () => {
      spec
        .given([...ready, retirementRequested])
        .when({ type: 'RecordCommandRejected', commandId: baseIds.retirementCommand(baseId, 1), error: { code: 'volume.not_found', category: 'not_found', message: 'gone' } })
        .then([removedEvent]);
      spec
        .given([...ready, retirementRequested])
        .when({
          type: 'RecordCommandRejected',
          commandId: baseIds.retirementCommand(baseId, 1),
          error: { code: 'volume.illegal_state', category: 'illegal_state', message: 'volume is deleted: cannot delete it' },
          details: { volumeId: v1, status: 'deleted', action: 'delete it' },
        })
        .then([removedEvent]);
    });
    it('a spooling base waits for its spool to end; a failed one is removed at once (its compensation deletes what it made)', () => {
      spec.given([requested(1)]).when({ type: 'RetireBase', baseId }).then([]);
      spec.given([requested(1), spoolFailed]).when({ type: 'RetireBase', baseId }).then([removedEvent]);
      spec.given([]).when({ type: 'RetireBase', baseId }).then([]);
    });
  });
});
