import type { AddBackupTargetData } from '@strata/contracts';
import { settingsFromCommand, settingsFromRecord, splitTargetSecrets } from './target-settings';

describe('target settings', () => {
  const s3: AddBackupTargetData = {
    name: 'offsite',
    kind: 's3',
    s3: { endpoint: 'http://127.0.0.1:9000/', bucket: 'strata-backups', prefix: 'site-a', accessKeyId: 'AKIA1', secretAccessKey: 'very-secret' },
  };

  it('fills the defaults and ends the prefix with /', () => {
    expect(settingsFromCommand(s3)).toEqual({
      kind: 's3',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      bucket: 'strata-backups',
      prefix: 'site-a/',
      accessKeyId: 'AKIA1',
      secretAccessKey: 'very-secret',
      forcePathStyle: true,
    });
    expect(settingsFromCommand({ name: 'local', kind: 'directory', directory: { path: '/srv/backups/' } })).toEqual({ kind: 'directory', path: '/srv/backups' });
  });

  it('records the secret key as *** and seals it apart; reading back joins them', () => {
    const settings = settingsFromCommand(s3);
    const { config, secrets } = splitTargetSecrets(settings);
    expect(config.secretAccessKey).toBe('***');
    expect(JSON.stringify(config)).not.toContain('very-secret');
    expect(secrets).toEqual({ secretAccessKey: 'very-secret' });
    expect(settingsFromRecord('t', 's3', config, secrets)).toEqual(settings);
  });

  it('a directory has nothing to seal', () => {
    expect(splitTargetSecrets({ kind: 'directory', path: '/srv/b' })).toEqual({ config: { path: '/srv/b' }, secrets: {} });
  });

  it('an s3 target without its sealed key cannot be opened', () => {
    const { config } = splitTargetSecrets(settingsFromCommand(s3));
    expect(() => settingsFromRecord('t', 's3', config, {})).toThrow(expect.objectContaining({ code: 'backuptarget.secret_missing' }));
  });
});
