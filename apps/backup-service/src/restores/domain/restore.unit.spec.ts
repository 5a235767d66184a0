import { deciderSpec, fold } from '@strata/kernel';
import type { RestoreStepRequested } from '@strata/contracts';
import type { StepOutcome } from '../../backups/domain/step-outcomes';
import { restoreCommandsFor, restoreDecider, restoreIds, type RestoreCommand, type RestoreEvent, type RestoreStep } from './restore';

const restoreId = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const backupId = '11111111-1111-4111-8111-111111111111';
const originalId = '22222222-2222-4222-8222-222222222222';
const poolId = '44444444-4444-4444-8444-444444444444';
const hostId = '55555555-5555-4555-8555-555555555555';
const GiB = 2 ** 30;
const spec = deciderSpec(restoreDecider);
const newVolumeId = restoreIds.volumeId(restoreId);

const backup = { backupId, status: 'completed' as const, volumeId: originalId, sizeBytes: GiB };
const original = { volumeId: originalId, poolId, deleted: false, hostIds: [] as string[] };
const toNew = (over: Partial<Extract<RestoreCommand, { type: 'RestoreBackup' }>> = {}): Extract<RestoreCommand, { type: 'RestoreBackup' }> => ({
  type: 'RestoreBackup',
  restoreId,
  backupId,
  overOriginal: false,
  poolId,
  name: 'restored',
  backup,
  original: null,
  hostId,
  ...over,
});
const overOriginal = (over: Partial<Extract<RestoreCommand, { type: 'RestoreBackup' }>> = {}) =>
  toNew({ overOriginal: true, poolId: undefined, name: undefined, original, ...over });

const requestedNew: RestoreEvent = { type: 'RestoreRequested', data: { restoreId, backupId, volumeId: newVolumeId, mode: 'new', poolId, sizeBytes: GiB } };
const requestedOriginal: RestoreEvent = { type: 'RestoreRequested', data: { restoreId, backupId, volumeId: originalId, mode: 'original', poolId, sizeBytes: GiB } };
const stepEvent = (step: RestoreStep, volumeId = newVolumeId, failure?: RestoreStepRequested['failure']): RestoreEvent => ({
  type: 'RestoreStepRequested',
  data: { restoreId, step, commandId: restoreIds.command(restoreId, step), aggregateId: volumeId, ...(failure ? { failure } : {}) },
});
const outcome = (event: string, step: RestoreStep, volumeId = newVolumeId, extra: Partial<StepOutcome> = {}): RestoreCommand => ({
  type: 'RecordStepOutcome',
  outcome: { event, causationId: restoreIds.command(restoreId, step), aggregateId: volumeId, ...extra },
});
const devicePath = '/dev/restored';
const attachedNew: RestoreEvent = { type: 'RestoreTargetAttached', data: { restoreId, volumeId: newVolumeId, hostId, devicePath } };
const error = { code: 'volume.backend_failed', category: 'backend', message: 'no space' };
const completed = (volumeId: string): RestoreEvent => ({ type: 'RestoreCompleted', data: { restoreId, backupId, volumeId } });
const failed = (e = error): RestoreEvent => ({ type: 'RestoreFailed', data: { restoreId, error: e } });

describe('restore decider: RestoreBackup', () => {
  it('to a new volume: the volume (derived id) is created first', () => {
    spec.given([]).when(toNew()).then([requestedNew, stepEvent('create')]);
  });

  it('over the original, detached volume: attached first', () => {
    spec.given([]).when(overOriginal()).then([requestedOriginal, stepEvent('attach', originalId)]);
  });

  it.each([
    ['backup.not_found', 'data.backupId', 'unknown backup', toNew({ backup: { ...backup, status: 'absent' } })],
    ['backup.not_found', 'data.backupId', 'deleted backup', toNew({ backup: { ...backup, status: 'deleted' } })],
    ['backup.not_completed', 'data.backupId', 'running backup', toNew({ backup: { ...backup, status: 'running' } })],
    ['backup.not_completed', 'data.backupId', 'failed backup', toNew({ backup: { ...backup, status: 'failed' } })],
    ['restore.volume_attached', 'data.overOriginal', 'attached original', overOriginal({ original: { ...original, hostIds: [hostId] } })],
    ['restore.volume_not_found', 'data.overOriginal', 'deleted original', overOriginal({ original: { ...original, deleted: true } })],
    ['restore.volume_not_found', 'data.overOriginal', 'unknown original', overOriginal({ original: null })],
    ['backup.host_required', 'STRATA_BACKUP_HOST_ID', 'no backup host', toNew({ hostId: null })],
  ] as const)('refuses %s naming %s (%s)', (code, field, _case, command) => {
    spec.given([]).when(command).thenThrows(code);
    try {
      restoreDecider.decide(command, restoreDecider.initialState());
    } catch (e) {
      expect((e as { details: { violations: { field: string }[] } }).details.violations[0].field).toBe(field);
    }
  });
});

describe('restore decider: the steps', () => {
  it('new volume: create → attach → data → detach → completed', () => {
    spec.given([requestedNew, stepEvent('create')]).when(outcome('VolumeCreated', 'create')).then([stepEvent('attach')]);
    spec.given([requestedNew, stepEvent('create'), stepEvent('attach')]).when(outcome('VolumeAttached', 'attach', newVolumeId, { hostId, devicePath })).then([attachedNew]);
    const atData = [requestedNew, stepEvent('create'), stepEvent('attach'), attachedNew];
    spec.given(atData).when({ type: 'RecordProgress', bytesDone: GiB / 2, bytesTotal: GiB }).then([{ type: 'RestoreProgressed', data: { restoreId, bytesDone: GiB / 2, bytesTotal: GiB, percent: 50 } }]);
    spec.given(atData).when({ type: 'RecordDataWritten' }).then([stepEvent('detach')]);
    spec.given([...atData, stepEvent('detach')]).when(outcome('VolumeDetached', 'detach')).then([completed(newVolumeId)]);
    // A repeat of the data outcome after the detach was asked for: nothing.
    spec.given([...atData, stepEvent('detach')]).when({ type: 'RecordDataWritten' }).then([]);
  });

  it('over the original: attach → data → detach → completed', () => {
    const attached: RestoreEvent = { type: 'RestoreTargetAttached', data: { restoreId, volumeId: originalId, hostId, devicePath } };
    spec.given([requestedOriginal, stepEvent('attach', originalId)]).when(outcome('VolumeAttached', 'attach', originalId, { hostId, devicePath })).then([attached]);
    spec.given([requestedOriginal, stepEvent('attach', originalId), attached]).when({ type: 'RecordDataWritten' }).then([stepEvent('detach', originalId)]);
    spec.given([requestedOriginal, stepEvent('attach', originalId), attached, stepEvent('detach', originalId)]).when(outcome('VolumeDetached', 'detach', originalId)).then([completed(originalId)]);
  });

  it('the original is matched by our command only: an attach of it caused by someone else decides nothing', () => {
    spec.given([requestedOriginal, stepEvent('attach', originalId)]).when(outcome('VolumeAttached', 'attach', originalId, { causationId: 'someone-else', hostId, devicePath })).then([]);
  });
});

describe('restore decider: compensation', () => {
  it('a new volume that failed to be created is deleted; a refused one is not', () => {
    spec.given([requestedNew, stepEvent('create')]).when(outcome('VolumeCreationFailed', 'create', newVolumeId, { error })).then([stepEvent('delete', newVolumeId, error)]);
    spec
      .given([requestedNew, stepEvent('create')])
      .when({ type: 'RecordStepOutcome', outcome: { event: 'CommandRejected', causationId: null, aggregateId: newVolumeId, commandId: restoreIds.command(restoreId, 'create'), error } })
      .then([failed()]);
    spec.given([requestedNew, stepEvent('create'), stepEvent('delete', newVolumeId, error)]).when(outcome('VolumeDeleted', 'delete')).then([failed()]);
  });

  it('the data step failed on a new volume: detach, delete, RestoreFailed', () => {
    const reason = { code: 'backup.chunk_missing', category: 'backend', message: 'chunk ab… is missing' };
    const atData = [requestedNew, stepEvent('create'), stepEvent('attach'), attachedNew];
    spec.given(atData).when({ type: 'RecordDataFailed', error: reason }).then([stepEvent('detach', newVolumeId, reason)]);
    spec.given([...atData, stepEvent('detach', newVolumeId, reason)]).when(outcome('VolumeDetached', 'detach')).then([stepEvent('delete', newVolumeId, reason)]);
    spec.given([...atData, stepEvent('detach', newVolumeId, reason), stepEvent('delete', newVolumeId, reason)]).when(outcome('VolumeDeletionFailed', 'delete', newVolumeId, { error })).then([failed(reason)]);
  });

  it('over the original: a failed attach ends it; the original is never deleted', () => {
    spec.given([requestedOriginal, stepEvent('attach', originalId)]).when(outcome('VolumeAttachFailed', 'attach', originalId, { error })).then([failed()]);
    const attached: RestoreEvent = { type: 'RestoreTargetAttached', data: { restoreId, volumeId: originalId, hostId, devicePath } };
    const given = [requestedOriginal, stepEvent('attach', originalId), attached, stepEvent('detach', originalId, error)];
    spec.given(given).when(outcome('VolumeDetached', 'detach', originalId)).then([failed()]);
  });
});

describe('restoreCommandsFor', () => {
  it('CreateVolume with the name, pool and the backup size; attach and detach on the backup host', () => {
    const create = toNew();
    // As the application calls it: with the state after the events before it in the same decision.
    expect(restoreCommandsFor(fold(restoreDecider, [requestedNew]), stepEvent('create'), create, hostId)).toEqual([
      { route: 'storage', type: 'CreateVolume', commandId: restoreIds.command(restoreId, 'create'), aggregateId: newVolumeId, data: { name: 'restored', poolId, sizeBytes: GiB } },
    ]);
    const atAttach = fold(restoreDecider, [requestedNew, stepEvent('create')]);
    expect(restoreCommandsFor(atAttach, stepEvent('attach'), outcome('VolumeCreated', 'create'), hostId)[0]).toMatchObject({ type: 'AttachVolume', data: { hostId } });
    const atDetach = fold(restoreDecider, [requestedNew, stepEvent('create'), stepEvent('attach'), attachedNew]);
    expect(restoreCommandsFor(atDetach, stepEvent('detach'), { type: 'RecordDataWritten' }, 'other')[0]).toMatchObject({ type: 'DetachVolume', data: { hostId } });
    expect(restoreCommandsFor(atDetach, stepEvent('delete'), { type: 'RecordDataWritten' }, hostId)[0]).toMatchObject({ type: 'DeleteVolume', aggregateId: newVolumeId });
  });
});
