import { deciderSpec, fold } from '@strata/kernel';
import { backupSettingDecider } from './snapshot-backup-setting';

const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const spec = deciderSpec(backupSettingDecider);

describe('snapshot backup setting', () => {
  it('is off until set, and follows the newest setting', () => {
    expect(fold(backupSettingDecider, [])).toEqual({ backupSnapshots: false });
    const on = { type: 'SnapshotBackupSet' as const, data: { volumeId, backupSnapshots: true } };
    const off = { type: 'SnapshotBackupSet' as const, data: { volumeId, backupSnapshots: false } };
    expect(fold(backupSettingDecider, [on])).toEqual({ backupSnapshots: true });
    expect(fold(backupSettingDecider, [on, off])).toEqual({ backupSnapshots: false });
  });
  it('records the setting (unchanged too, so its job ends), for a volume it knows', () => {
    spec.given([]).when({ type: 'SetSnapshotBackup', volumeId, backupSnapshots: true, volumeStatus: 'ready' }).then([
      { type: 'SnapshotBackupSet', data: { volumeId, backupSnapshots: true } },
    ]);
    spec.given([]).when({ type: 'SetSnapshotBackup', volumeId, backupSnapshots: true, volumeStatus: null }).thenThrows('snapshot.volume_not_found');
    spec.given([]).when({ type: 'SetSnapshotBackup', volumeId, backupSnapshots: false, volumeStatus: 'deleted' }).thenThrows('snapshot.volume_not_found');
  });
});
