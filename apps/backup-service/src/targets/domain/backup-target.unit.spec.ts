import { deciderSpec } from '@strata/kernel';
import type { BackupTargetAdded } from '@strata/contracts';
import { backupTargetDecider, type BackupTargetEvent } from './backup-target';

const targetId = '7d1c7a52-5b0e-4a43-9d0b-1f6c8f0b4e11';
const added: BackupTargetAdded = {
  targetId,
  name: 'offsite',
  kind: 's3',
  config: { endpoint: 'http://s3.local:9000', region: 'us-east-1', bucket: 'b', prefix: '', accessKeyId: 'AK', secretAccessKey: '***', forcePathStyle: true },
};
const addedEvent: BackupTargetEvent = { type: 'BackupTargetAdded', data: added };
const removedEvent: BackupTargetEvent = { type: 'BackupTargetRemoved', data: { targetId } };
const spec = deciderSpec(backupTargetDecider);

describe('backup target decider', () => {
  describe('AddBackupTarget', () => {
    it('records a new target', () => {
      spec.given([]).when({ type: 'AddBackupTarget', target: added }).then([addedEvent]);
    });

    it('refuses an id already taken', () => {
      spec.given([addedEvent]).when({ type: 'AddBackupTarget', target: added }).thenThrows('backuptarget.already_exists');
    });

    it('refuses the id of a removed target (its events still name it)', () => {
      spec.given([addedEvent, removedEvent]).when({ type: 'AddBackupTarget', target: added }).thenThrows('backuptarget.already_exists');
    });
  });

  describe('RemoveBackupTarget', () => {
    it('removes a target that keeps no backups', () => {
      spec.given([addedEvent]).when({ type: 'RemoveBackupTarget', targetId, backupCount: 0 }).then([removedEvent]);
    });

    it('is refused while backups are kept on the target, saying how many', () => {
      spec.given([addedEvent]).when({ type: 'RemoveBackupTarget', targetId, backupCount: 3 }).thenThrows('backuptarget.in_use', /keeps 3 backup/);
    });

    it('refuses an unknown target', () => {
      spec.given([]).when({ type: 'RemoveBackupTarget', targetId, backupCount: 0 }).thenThrows('backuptarget.not_found');
    });

    it('refuses a removed target', () => {
      spec.given([addedEvent, removedEvent]).when({ type: 'RemoveBackupTarget', targetId, backupCount: 0 }).thenThrows('backuptarget.not_found');
    });
  });

  it('folds to the recorded settings', () => {
    const state = [addedEvent].reduce(backupTargetDecider.evolve, backupTargetDecider.initialState());
    expect(state).toEqual({ status: 'active', ...added });
    expect(backupTargetDecider.evolve(state, removedEvent)).toMatchObject({ status: 'removed', targetId });
  });
});
