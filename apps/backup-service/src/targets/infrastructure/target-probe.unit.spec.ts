import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource, EntityManager } from 'typeorm';
import { SecretBox, type ServiceConfig } from '@strata/service-kit';
import { TargetProbe } from './target-probe';
import { TargetSecrets } from './target-secrets';

describe('TargetProbe (directories)', () => {
  let dir: string;
  const probe = new TargetProbe();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-probe-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a writable directory and leaves nothing behind', async () => {
    await probe.check({ kind: 'directory', path: dir });
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a missing path or a file, naming data.directory.path', async () => {
    await expect(probe.check({ kind: 'directory', path: join(dir, 'missing') })).rejects.toMatchObject({
      code: 'backuptarget.unreachable',
      details: { violations: [{ field: 'data.directory.path' }] },
    });
    await writeFile(join(dir, 'a-file'), 'x');
    await expect(probe.check({ kind: 'directory', path: join(dir, 'a-file') })).rejects.toMatchObject({
      code: 'backuptarget.unreachable',
      message: expect.stringContaining('is not a directory'),
    });
  });
});

describe('TargetSecrets', () => {
  const config = (secretKey: string | null) => ({ secretKey }) as ServiceConfig;
  const dataSource = (rows: { sealed: string }[]) => ({ query: async () => rows }) as unknown as DataSource;

  it('without STRATA_SECRET_KEY refuses to keep a secret, naming the field, and writes nothing', async () => {
    const secrets = new TargetSecrets(dataSource([]), config(null));
    expect(() => secrets.assertCanSeal()).toThrow(expect.objectContaining({ code: 'backuptarget.secret_key_missing' }));
    const manager = { query: jest.fn() } as unknown as EntityManager;
    await expect(secrets.save(manager, 't', { secretAccessKey: 'k' })).rejects.toMatchObject({
      code: 'backuptarget.secret_key_missing',
      details: { violations: [{ field: 'data.s3.secretAccessKey' }] },
    });
    expect(manager.query).not.toHaveBeenCalled();
  });

  it('seals what it writes and opens what it reads', async () => {
    const key = SecretBox.generateKey();
    const written: unknown[][] = [];
    const manager = { query: async (_sql: string, params: unknown[]) => void written.push(params) } as unknown as EntityManager;
    await new TargetSecrets(dataSource([]), config(key)).save(manager, 't', { secretAccessKey: 'very-secret' });
    const sealed = String(written[0][1]);
    expect(sealed).not.toContain('very-secret');
    expect(await new TargetSecrets(dataSource([{ sealed }]), config(key)).load('t')).toEqual({ secretAccessKey: 'very-secret' });
  });
});
