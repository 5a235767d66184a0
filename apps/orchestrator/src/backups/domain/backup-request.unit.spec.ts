import { randomUUID } from 'node:crypto';
import { commandRouteOf } from '../../commands/domain/command-request';
import { REDACTED, secretsOf } from '../../commands/domain/command-secrets';
import { backupChain, createBackupData, importBackupRequest, restoreBackupData } from './backup-request';

describe('backup requests', () => {
  it('routes every backup command to the backup commands topic', () => {
    for (const type of ['AddBackupTarget', 'RemoveBackupTarget', 'CreateBackup', 'VerifyBackup', 'DeleteBackup', 'RestoreBackup', 'CreateBackupSchedule', 'DeleteBackupSchedule', 'CollectBackupGarbage', 'ImportBackup'] as const) {
      expect(commandRouteOf(type).topic).toBe('backupCommands');
    }
    expect(commandRouteOf('CreateVolume').topic).toBe('storageCommands');
  });

  it('takes the volume from the path and refuses one in the body', () => {
    const volumeId = randomUUID();
    const targetId = randomUUID();
    expect(createBackupData({ targetId, full: true }, volumeId)).toEqual({ data: { targetId, full: true, volumeId }, violations: [] });
    expect(createBackupData({ targetId, volumeId: randomUUID() }, volumeId).violations).toEqual([expect.objectContaining({ field: 'volumeId', rule: 'whitelistValidation' })]);
    // Not an object: left for the command's rules to name.
    expect(createBackupData('x', volumeId)).toEqual({ data: 'x', violations: [] });
  });

  it('takes the backup of a restore from the path', () => {
    const backupId = randomUUID();
    expect(restoreBackupData({ overOriginal: true }, backupId).data).toEqual({ overOriginal: true, backupId });
    expect(restoreBackupData({ backupId, poolId: 'p', name: 'n' }, backupId).violations).toHaveLength(1);
  });

  it("makes an import's backupId its aggregate and refuses anything else", () => {
    const targetId = randomUUID();
    const backupId = randomUUID();
    expect(importBackupRequest({ backupId }, targetId)).toEqual({ backupId, data: { targetId }, violations: [] });
    const bad = importBackupRequest({ backupId: 'nope', targetId }, targetId);
    expect(bad.backupId).toBeNull();
    expect(bad.violations.map((v) => v.field).sort()).toEqual(['backupId', 'targetId']);
  });

  it('walks the chain up to the full backup, nearest first, and stops at a cycle', () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const rows = new Map([
      [b, { id: b, parentBackupId: a }],
      [a, { id: a, parentBackupId: null }],
    ]);
    expect(backupChain({ parentBackupId: b }, rows)).toEqual([b, a]);
    expect(backupChain({ parentBackupId: null }, rows)).toEqual([]);
    // A parent not projected still ends the list with its id.
    expect(backupChain({ parentBackupId: c }, rows)).toEqual([c]);
    const loop = new Map([[a, { id: a, parentBackupId: b }], [b, { id: b, parentBackupId: a }]]);
    expect(backupChain({ parentBackupId: a }, loop)).toEqual([a, b]);
  });

  it('names the S3 secret of AddBackupTarget as a credential, and nothing else', () => {
    const s3 = { endpoint: 'http://s3', bucket: 'bkt', accessKeyId: 'AK', secretAccessKey: 'sekrit' };
    expect(secretsOf({ type: 'AddBackupTarget', data: { name: 't', kind: 's3', s3 } } as never)).toEqual(['sekrit']);
    expect(secretsOf({ type: 'AddBackupTarget', data: { name: 't', kind: 's3', s3: { ...s3, secretAccessKey: REDACTED } } } as never)).toEqual([]);
    expect(secretsOf({ type: 'AddBackupTarget', data: { name: 't', kind: 'directory', directory: { path: '/b' } } } as never)).toEqual([]);
    expect(secretsOf({ type: 'CreateVolume', data: { secretAccessKey: 'x' } } as never)).toEqual([]);
  });

  it("names a pool's credentials the same way: its plugin's secret config keys and its URL, not its other settings", () => {
    expect(secretsOf({ type: 'AddStoragePool', data: { plugin: 'storpool', config: { host: 'sp', authToken: 'tok-1', template: 'nvme' } } } as never)).toEqual(['tok-1']);
    expect(secretsOf({ type: 'AddStoragePool', data: { plugin: 'powerflex', url: 'powerflex://u:pw@gw/pool' } } as never)).toEqual(['powerflex://u:pw@gw/pool']);
    expect(secretsOf({ type: 'AddStoragePool', data: { plugin: 'file', config: { path: '/srv/p' } } } as never)).toEqual([]);
  });
});
