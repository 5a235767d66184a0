import { deciderSpec, fold } from '@strata/kernel';
import type { BackupStepRequested } from '@strata/contracts';
import { backupDecider, backupIds, CHUNK_SIZE_BYTES, cloneName, commandsFor, type BackupCommand, type BackupEvent, type BackupStep } from './backup';
import type { StepOutcome } from './step-outcomes';

const backupId = '11111111-1111-4111-8111-111111111111';
const volumeId = '22222222-2222-4222-8222-222222222222';
const targetId = '33333333-3333-4333-8333-333333333333';
const poolId = '44444444-4444-4444-8444-444444444444';
const hostId = '55555555-5555-4555-8555-555555555555';
const givenSnapshot = '66666666-6666-4666-8666-666666666666';
const parentId = '77777777-7777-4777-8777-777777777777';
const GiB = 2 ** 30;
const spec = deciderSpec(backupDecider);

const volume = { volumeId, poolId, sizeBytes: GiB, deleted: false, status: 'available' };
const create = (over: Partial<Extract<BackupCommand, { type: 'CreateBackup' }>> = {}): BackupCommand => ({
  type: 'CreateBackup',
  backupId,
  volumeId,
  targetId,
  volume,
  snapshot: null,
  targetExists: true,
  latestCompletedBackupId: null,
  hostId,
  ...over,
});

const snapshotId = backupIds.snapshotId(backupId);
const cloneId = backupIds.cloneId(backupId);
const requested = (over: Record<string, unknown> = {}): BackupEvent => ({
  type: 'BackupRequested',
  data: { backupId, volumeId, targetId, snapshotId, snapshotTaken: true, kind: 'full', parentBackupId: null, chunkSizeBytes: CHUNK_SIZE_BYTES, poolId, sizeBytes: GiB, ...over },
});
const stepEvent = (step: BackupStep, failure?: BackupStepRequested['failure'], snap = snapshotId): BackupEvent => ({
  type: 'BackupStepRequested',
  data: {
    backupId,
    step,
    commandId: backupIds.command(backupId, step),
    aggregateId: step === 'snapshot' || step === 'release' ? snap : cloneId,
    ...(failure ? { failure } : {}),
  },
});
const outcome = (event: string, step: BackupStep, extra: Partial<StepOutcome> = {}): BackupCommand => ({
  type: 'RecordStepOutcome',
  outcome: { event, causationId: backupIds.command(backupId, step), aggregateId: step === 'snapshot' || step === 'release' ? snapshotId : cloneId, ...extra },
});
const devicePath = '/dev/backup-clone';
const attached: BackupEvent = { type: 'BackupSourceAttached', data: { backupId, volumeId: cloneId, hostId, devicePath } };
const figures = { chunks: 256, newChunks: 10, reusedChunks: 200, zeroChunks: 46, bytesWritten: 12345, manifestSha256: 'ab'.repeat(32) };
const written: BackupEvent = { type: 'BackupDataWritten', data: { backupId, ...figures } };
const error = { code: 'volume.backend_failed', category: 'backend', message: 'no space' };

/** Up to the data step, with a snapshot taken for the backup. */
const toData: BackupEvent[] = [requested(), stepEvent('snapshot'), stepEvent('clone'), stepEvent('attach'), attached];

describe('backup decider: CreateBackup', () => {
  it('without a snapshot: a full backup that starts with a snapshot of its own', () => {
    spec.given([]).when(create()).then([requested(), stepEvent('snapshot')]);
  });

  it('from a given snapshot of the volume: no snapshot step, the clone is made on the snapshot pool', () => {
    const otherPool = '88888888-8888-4888-8888-888888888888';
    spec
      .given([])
      .when(create({ snapshotId: givenSnapshot, snapshot: { snapshotId: givenSnapshot, volumeId, poolId: otherPool, status: 'available' } }))
      .then([requested({ snapshotId: givenSnapshot, snapshotTaken: false, poolId: otherPool }), stepEvent('clone', undefined, givenSnapshot)]);
  });

  it('incremental after the newest completed backup of the volume on the target; full when asked', () => {
    spec.given([]).when(create({ latestCompletedBackupId: parentId })).then([requested({ kind: 'incremental', parentBackupId: parentId }), stepEvent('snapshot')]);
    spec.given([]).when(create({ latestCompletedBackupId: parentId, full: true })).then([requested(), stepEvent('snapshot')]);
  });

  it.each([
    ['backup.volume_not_found', 'data.volumeId', 'unknown volume', create({ volume: null })],
    ['backup.volume_not_found', 'data.volumeId', 'deleted volume', create({ volume: { ...volume, deleted: true } })],
    ['backup.target_not_found', 'data.targetId', 'unknown or removed target', create({ targetExists: false })],
    ['backup.snapshot_not_found', 'data.snapshotId', 'unknown snapshot', create({ snapshotId: givenSnapshot, snapshot: null })],
    ['backup.snapshot_not_found', 'data.snapshotId', 'deleted snapshot', create({ snapshotId: givenSnapshot, snapshot: { snapshotId: givenSnapshot, volumeId, poolId, status: 'deleted' } })],
    ['backup.snapshot_of_other_volume', 'data.snapshotId', 'snapshot of another volume', create({ snapshotId: givenSnapshot, snapshot: { snapshotId: givenSnapshot, volumeId: parentId, poolId, status: 'available' } })],
    ['backup.host_required', 'STRATA_BACKUP_HOST_ID', 'no backup host configured', create({ hostId: null })],
  ] as const)('refuses %s naming %s (%s)', (code, field, _case, command) => {
    spec.given([]).when(command).thenThrows(code);
    try {
      backupDecider.decide(command, backupDecider.initialState());
    } catch (e) {
      expect((e as { details: { violations: { field: string }[] } }).details.violations[0].field).toBe(field);
    }
  });

  it('refuses a second request for the same backup id', () => {
    spec.given([requested(), stepEvent('snapshot')]).when(create()).thenThrows('backup.already_exists');
  });
});

describe('backup decider: the steps', () => {
  it('snapshot → clone → attach → data → detach → cleanup → release → completed', () => {
    spec.given([requested(), stepEvent('snapshot')]).when(outcome('SnapshotCreated', 'snapshot')).then([stepEvent('clone')]);
    spec.given([requested(), stepEvent('snapshot'), stepEvent('clone')]).when(outcome('VolumeCreated', 'clone')).then([stepEvent('attach')]);
    spec.given(toData.slice(0, 4)).when(outcome('VolumeAttached', 'attach', { hostId, devicePath })).then([attached]);
    spec.given(toData).when({ type: 'RecordDataWritten', result: figures }).then([written, stepEvent('detach')]);
    spec.given([...toData, written, stepEvent('detach')]).when(outcome('VolumeDetached', 'detach')).then([stepEvent('cleanup')]);
    spec.given([...toData, written, stepEvent('detach'), stepEvent('cleanup')]).when(outcome('VolumeDeleted', 'cleanup')).then([stepEvent('release')]);
    spec
      .given([...toData, written, stepEvent('detach'), stepEvent('cleanup'), stepEvent('release')])
      .when(outcome('SnapshotDeleted', 'release'))
      .then([{ type: 'BackupCompleted', data: { backupId, volumeId, sizeBytes: GiB, ...figures } }]);
  });

  it('a given snapshot is not released: cleanup ends the backup', () => {
    const given: BackupEvent[] = [
      requested({ snapshotId: givenSnapshot, snapshotTaken: false }),
      stepEvent('clone', undefined, givenSnapshot),
      stepEvent('attach', undefined, givenSnapshot),
      attached,
      written,
      stepEvent('detach', undefined, givenSnapshot),
      stepEvent('cleanup', undefined, givenSnapshot),
    ];
    spec.given(given).when(outcome('VolumeDeleted', 'cleanup')).then([{ type: 'BackupCompleted', data: { backupId, volumeId, sizeBytes: GiB, ...figures } }]);
  });

  it('matches an outcome by its aggregate when the other service names no cause', () => {
    spec.given([requested(), stepEvent('snapshot'), stepEvent('clone')]).when(outcome('VolumeCreated', 'clone', { causationId: null })).then([stepEvent('attach')]);
  });

  it('reports progress at most every tenth', () => {
    spec.given(toData).when({ type: 'RecordProgress', bytesDone: GiB / 20, bytesTotal: GiB }).then([]);
    spec.given(toData).when({ type: 'RecordProgress', bytesDone: GiB / 4, bytesTotal: GiB }).then([{ type: 'BackupProgressed', data: { backupId, bytesDone: GiB / 4, bytesTotal: GiB, percent: 25 } }]);
    const at20: BackupEvent = { type: 'BackupProgressed', data: { backupId, bytesDone: GiB / 4, bytesTotal: GiB, percent: 25 } };
    spec.given([...toData, at20]).when({ type: 'RecordProgress', bytesDone: GiB * 0.29, bytesTotal: GiB }).then([]);
  });
});

describe('backup decider: stale and duplicate outcomes decide nothing', () => {
  it('an outcome of an earlier step, a repeat, another command, an unrelated type', () => {
    const atAttach = toData.slice(0, 4);
    spec.given(atAttach).when(outcome('VolumeCreated', 'clone')).then([]);
    spec.given(atAttach).when(outcome('SnapshotCreated', 'snapshot')).then([]);
    spec.given(atAttach).when(outcome('VolumeAttachRequested', 'attach')).then([]);
    spec.given(atAttach).when({ type: 'RecordStepOutcome', outcome: { event: 'VolumeAttached', causationId: 'other', aggregateId: 'other', devicePath } }).then([]);
    spec.given(atAttach).when({ type: 'RecordStepOutcome', outcome: { event: 'CommandRejected', causationId: null, aggregateId: cloneId, commandId: 'another-command', error } }).then([]);
    spec.given(toData).when(outcome('VolumeAttached', 'attach', { devicePath })).then([]);
  });

  it('the data step recorded twice (a rerun after a crash) counts once', () => {
    spec.given([...toData, written, stepEvent('detach')]).when({ type: 'RecordDataWritten', result: figures }).then([]);
    spec.given([...toData, written, stepEvent('detach')]).when({ type: 'RecordProgress', bytesDone: GiB, bytesTotal: GiB }).then([]);
  });
});

describe('backup decider: compensation', () => {
  const failed = (e = error): BackupEvent => ({ type: 'BackupFailed', data: { backupId, error: e } });

  it('the snapshot failed: nothing to undo', () => {
    spec.given([requested(), stepEvent('snapshot')]).when(outcome('SnapshotCreationFailed', 'snapshot', { error })).then([failed()]);
  });

  it('the clone refused: the snapshot is released, then BackupFailed', () => {
    const rejected: BackupCommand = { type: 'RecordStepOutcome', outcome: { event: 'CommandRejected', causationId: null, aggregateId: cloneId, commandId: backupIds.command(backupId, 'clone'), error } };
    const given = [requested(), stepEvent('snapshot'), stepEvent('clone')];
    spec.given(given).when(rejected).then([stepEvent('release', error)]);
    spec.given([...given, stepEvent('release', error)]).when(outcome('SnapshotDeleted', 'release')).then([failed()]);
  });

  it('the clone failed (it may exist): it is deleted, the snapshot released, then BackupFailed with the first reason', () => {
    const given = [requested(), stepEvent('snapshot'), stepEvent('clone')];
    spec.given(given).when(outcome('VolumeCreationFailed', 'clone', { error })).then([stepEvent('cleanup', error)]);
    spec.given([...given, stepEvent('cleanup', error)]).when(outcome('VolumeDeletionFailed', 'cleanup', { error: { ...error, message: 'other' } })).then([stepEvent('release', error)]);
  });

  it('the attach failed: the clone is deleted (no detach)', () => {
    spec.given(toData.slice(0, 4)).when(outcome('VolumeAttachFailed', 'attach', { error })).then([stepEvent('cleanup', error)]);
  });

  it('attached without a device path: detached again, then the clone deleted', () => {
    const noDevice = { code: 'backup.no_device', category: 'backend', message: 'VolumeAttached named no devicePath' };
    spec.given(toData.slice(0, 4)).when(outcome('VolumeAttached', 'attach', { hostId })).then([stepEvent('detach', noDevice)]);
  });

  it('the data step failed: detach, cleanup, release, BackupFailed with the engine reason', () => {
    const reason = { code: 'backup.target_unreachable', category: 'backend', message: 'target down' };
    spec.given(toData).when({ type: 'RecordDataFailed', error: reason }).then([stepEvent('detach', reason)]);
    const after = [...toData, stepEvent('detach', reason)];
    spec.given(after).when(outcome('VolumeDetached', 'detach')).then([stepEvent('cleanup', reason)]);
    spec.given([...after, stepEvent('cleanup', reason)]).when(outcome('VolumeDeleted', 'cleanup')).then([stepEvent('release', reason)]);
    spec.given([...after, stepEvent('cleanup', reason), stepEvent('release', reason)]).when(outcome('SnapshotDeleted', 'release')).then([failed(reason)]);
  });
});

describe('backup decider: verify and delete', () => {
  const completedEvents: BackupEvent[] = [
    ...toData,
    written,
    stepEvent('detach'),
    stepEvent('cleanup'),
    stepEvent('release'),
    { type: 'BackupCompleted', data: { backupId, volumeId, sizeBytes: GiB, ...figures } },
  ];

  it('verification of a completed backup; refused while running', () => {
    spec.given(completedEvents).when({ type: 'RecordVerification', ok: true, chunksChecked: 210, badChunks: [] }).then([{ type: 'BackupVerified', data: { backupId, chunksChecked: 210 } }]);
    spec
      .given(completedEvents)
      .when({ type: 'RecordVerification', ok: false, chunksChecked: 210, badChunks: ['abc'] })
      .then([{ type: 'BackupVerificationFailed', data: { backupId, error: { code: 'backup.corrupt', category: 'backend', message: "1 of the backup's chunks are missing or damaged" }, badChunks: ['abc'] } }]);
    spec.given(toData).when({ type: 'RecordVerification', ok: true, chunksChecked: 1, badChunks: [] }).thenThrows('backup.not_completed');
  });

  it('deletion: requested, then deleted once the manifest is gone; refused while running; repeats do nothing', () => {
    spec.given(completedEvents).when({ type: 'DeleteBackup', backupId }).then([{ type: 'BackupDeletionRequested', data: { backupId } }]);
    const deleting = [...completedEvents, { type: 'BackupDeletionRequested', data: { backupId } } as BackupEvent];
    spec.given(deleting).when({ type: 'RecordManifestDeleted' }).then([{ type: 'BackupDeleted', data: { backupId } }]);
    spec.given(deleting).when({ type: 'DeleteBackup', backupId }).then([]);
    spec.given(toData).when({ type: 'DeleteBackup', backupId }).thenThrows('backup.in_progress');
    spec.given([]).when({ type: 'DeleteBackup', backupId }).thenThrows('backup.not_found');
  });
});

describe('commandsFor: the commands each step sends', () => {
  it('CreateSnapshot, the clone from the snapshot, attach and detach on the backup host, the deletions', () => {
    const at = (events: BackupEvent[]) => fold(backupDecider, events);
    expect(commandsFor(at([requested()]), stepEvent('snapshot'), hostId)).toEqual([
      { route: 'snapshot', type: 'CreateSnapshot', commandId: backupIds.command(backupId, 'snapshot'), aggregateId: snapshotId, data: { volumeId, name: `backup-${backupId.slice(0, 8)}` } },
    ]);
    expect(commandsFor(at([requested(), stepEvent('snapshot')]), stepEvent('clone'), hostId)).toEqual([
      {
        route: 'storage',
        type: 'CreateVolume',
        commandId: backupIds.command(backupId, 'clone'),
        aggregateId: cloneId,
        data: { name: cloneName(backupId), poolId, sizeBytes: GiB, fromSnapshot: { snapshotId, volumeId } },
      },
    ]);
    expect(cloneName(backupId)).toBe('backup-11111111-tmp');
    expect(commandsFor(at(toData.slice(0, 3)), stepEvent('attach'), hostId)[0]).toMatchObject({ type: 'AttachVolume', aggregateId: cloneId, data: { hostId } });
    expect(commandsFor(at([...toData, written]), stepEvent('detach'), 'another-host')[0]).toMatchObject({ type: 'DetachVolume', aggregateId: cloneId, data: { hostId } });
    expect(commandsFor(at([...toData, written, stepEvent('detach')]), stepEvent('cleanup'), hostId)[0]).toMatchObject({ route: 'storage', type: 'DeleteVolume', aggregateId: cloneId });
    expect(commandsFor(at([...toData, written, stepEvent('detach'), stepEvent('cleanup')]), stepEvent('release'), hostId)[0]).toMatchObject({ route: 'snapshot', type: 'DeleteSnapshot', aggregateId: snapshotId });
    expect(commandsFor(at([]), requested(), hostId)).toEqual([]);
  });
});

describe('backup decider: ImportBackup', () => {
  const manifest = { volumeId, kind: 'incremental' as const, parentBackupId: parentId, sizeBytes: GiB, chunkSizeBytes: CHUNK_SIZE_BYTES, chunks: ['ab'.repeat(32), null], createdAt: '2026-11-20T10:00:00.000Z' };
  const importing = (over: Partial<Extract<BackupCommand, { type: 'ImportBackup' }>> = {}): BackupCommand => ({
    type: 'ImportBackup',
    backupId,
    targetId,
    targetExists: true,
    manifest,
    manifestSha256: 'cd'.repeat(32),
    verification: { ok: true, badChunks: [] },
    ...over,
  });
  const imported: BackupEvent = {
    type: 'BackupImported',
    data: { backupId, targetId, volumeId, kind: 'incremental', parentBackupId: parentId, sizeBytes: GiB, chunks: 2, manifestSha256: 'cd'.repeat(32), createdAt: '2026-11-20T10:00:00.000Z' },
  };

  it('records a verified backup found on the target; it is then completed, as RestoreBackup and DeleteBackup need', () => {
    spec.given([]).when(importing()).then([imported]);
    expect(fold(backupDecider, [imported])).toMatchObject({ status: 'completed', backupId, volumeId, targetId, sizeBytes: GiB, imported: true, stage: null });
    spec.given([imported]).when({ type: 'DeleteBackup', backupId }).then([{ type: 'BackupDeletionRequested', data: { backupId } }]);
    spec.given([imported]).when({ type: 'RecordVerification', ok: true, chunksChecked: 1, badChunks: [] }).then([{ type: 'BackupVerified', data: { backupId, chunksChecked: 1 } }]);
    // Nothing to send: an imported backup has no steps.
    expect(commandsFor(fold(backupDecider, []), imported, hostId)).toEqual([]);
  });

  it('refuses a backup this installation knows (made here or imported), an unknown target, a missing manifest (naming data.targetId) and damaged chunks', () => {
    spec.given([imported]).when(importing()).thenThrows('backup.already_exists');
    spec.given([requested()]).when(importing()).thenThrows('backup.already_exists');
    spec.given([]).when(importing({ targetExists: false })).thenThrows('backup.target_not_found');
    let caught: unknown;
    try {
      backupDecider.decide(importing({ manifest: null }), { status: 'absent' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'backup.not_found', details: { violations: [{ field: 'data.targetId' }] } });
    spec.given([]).when(importing({ verification: { ok: false, badChunks: ['ab'.repeat(32)] } })).thenThrows('backup.corrupt');
  });
});
