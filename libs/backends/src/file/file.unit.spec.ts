import { promises as fsPromises } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendError,
  createDriverFromConfig,
  isBackendError,
  type BackendErrorKind,
  type PrimaryStorageDriver,
} from '@strata/plugin-sdk';
import { runPrimaryStorageConformance } from '../conformance';
import { FileConfig } from './file.config';
import { FileDriver } from './file.driver';
import { FILE_ERRNO_RULES, toFileBackendError } from './file.errors';
import { filePlugin } from './file.plugin';

const GiB = 2 ** 30;
const context = { installationId: 't3st' };

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'strata-file-'));
}

function driverAt(path: string): PrimaryStorageDriver {
  return createDriverFromConfig(filePlugin, { path }, context);
}

function errnoError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, open '${path}'`), { code, path, syscall: 'open' });
}

async function rejection(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    if (isBackendError(error)) return error;
    throw new Error(`expected a BackendError, got ${String(error)}`);
  }
  throw new Error('expected the call to fail');
}

function parseError(raw: unknown): BackendError {
  try {
    filePlugin.parseConfig(raw);
  } catch (error) {
    if (isBackendError(error)) return error;
    throw error;
  }
  throw new Error('expected parseConfig to fail');
}

runPrimaryStorageConformance('file', async () => {
  const dir = await tempDir();
  // A pool directory that does not exist yet: connect must create it.
  return { driver: driverAt(join(dir, 'pool')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('file backend', () => {
  let dir: string;
  let pool: string;
  let driver: PrimaryStorageDriver;

  beforeEach(async () => {
    dir = await tempDir();
    pool = join(dir, 'pool');
    driver = driverAt(pool);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await chmod(dir, 0o700).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  describe('volumes', () => {
    beforeEach(() => driver.connect());

    it('makes a sparse RAW file <pool>/<name>.raw: 1 GiB allocates almost nothing', async () => {
      const volume = await driver.createVolume({ name: 'vol-sparse', sizeBytes: GiB });
      const file = await stat(join(pool, 'vol-sparse.raw'));
      expect(file.size).toBe(GiB);
      expect(file.blocks * 512).toBeLessThan(GiB / 1024);
      expect(volume).toEqual({
        name: 'vol-sparse',
        sizeBytes: GiB,
        allocatedBytes: file.blocks * 512,
        path: join(pool, 'vol-sparse.raw'),
      });
    });

    it('finishes a create that crashed between open and ftruncate (an empty file)', async () => {
      await writeFile(join(pool, 'vol-half.raw'), '');
      const volume = await driver.createVolume({ name: 'vol-half', sizeBytes: 4096 });
      expect(volume.sizeBytes).toBe(4096);
      expect((await stat(join(pool, 'vol-half.raw'))).size).toBe(4096);
    });

    it('refuses thick provisioning as invalid, naming the rule, and creates nothing', async () => {
      const error = await rejection(driver.createVolume({ name: 'vol-thick', sizeBytes: 4096, thin: false }));
      expect(error.kind).toBe('invalid');
      expect(error.message).toContain('thick provisioning is not supported');
      expect(error.details.violations).toEqual([expect.objectContaining({ field: 'thin', rule: 'thinProvisioningOnly' })]);
      expect(await driver.listVolumes()).toEqual([]);
    });

    it('refuses a name that would escape the pool directory without touching the file system', async () => {
      const error = await rejection(driver.createVolume({ name: '../outside', sizeBytes: 4096 }));
      expect(error.kind).toBe('invalid');
      await expect(stat(join(dir, 'outside.raw'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('lists only regular *.raw files, with their allocation', async () => {
      await driver.createVolume({ name: 'vol-b', sizeBytes: 8192 });
      await driver.createVolume({ name: 'vol-a', sizeBytes: 4096 });
      await writeFile(join(pool, 'notes.txt'), 'not a volume');
      await writeFile(join(pool, '.raw'), '');
      await mkdir(join(pool, 'dir.raw'));
      await symlink(join(pool, 'vol-a.raw'), join(pool, 'link.raw'));
      const volumes = await driver.listVolumes();
      expect(volumes.map((v) => [v.name, v.sizeBytes, v.path])).toEqual([
        ['vol-a', 4096, join(pool, 'vol-a.raw')],
        ['vol-b', 8192, join(pool, 'vol-b.raw')],
      ]);
      expect(volumes.every((v) => typeof v.allocatedBytes === 'number')).toBe(true);
    });

    it('refuses a symlink planted under a volume name instead of following it', async () => {
      await writeFile(join(dir, 'target'), '');
      await symlink(join(dir, 'target'), join(pool, 'vol-link.raw'));
      const error = await rejection(driver.grantAccess('vol-link', 'host-1'));
      expect(error.kind).toBe('conflict');
      expect(error.message).toContain('is not a regular file');
    });

    it('grants the volume file itself as the device path', async () => {
      await driver.createVolume({ name: 'vol-g', sizeBytes: 4096 });
      expect(await driver.grantAccess('vol-g', 'host-1')).toEqual({ devicePath: join(pool, 'vol-g.raw') });
    });

    it('shrinks only when asked, and then really truncates the file', async () => {
      await driver.createVolume({ name: 'vol-s', sizeBytes: 8192 });
      await expect(driver.resizeVolume('vol-s', 4096, { allowShrink: false })).rejects.toMatchObject({
        kind: 'invalid',
        code: 'volume.shrink_not_allowed',
      });
      expect((await stat(join(pool, 'vol-s.raw'))).size).toBe(8192);
      await driver.resizeVolume('vol-s', 4096, { allowShrink: true });
      expect((await stat(join(pool, 'vol-s.raw'))).size).toBe(4096);
    });

    it('reports capacity from statfs of the pool directory', async () => {
      const fs = await statfs(pool);
      const capacity = await driver.getCapacity();
      expect(capacity.totalBytes).toBe(fs.blocks * fs.bsize);
      expect(capacity.usedBytes + capacity.freeBytes).toBe(capacity.totalBytes);
    });
  });

  describe('config', () => {
    it('accepts an absolute path', () => {
      const config = filePlugin.parseConfig({ path: '/var/lib/strata/pool1' });
      expect(config).toBeInstanceOf(FileConfig);
      expect(config.path).toBe('/var/lib/strata/pool1');
    });

    it('names the field and the rule for a relative path', () => {
      const error = parseError({ path: 'pools/one' });
      expect(error.kind).toBe('invalid');
      expect(error.details.violations).toEqual([
        { field: 'path', rule: 'isAbsolutePath', message: 'path must be an absolute path (starting with /) without NUL characters' },
      ]);
      expect(error.message).toBe(
        'file config is invalid: path: path must be an absolute path (starting with /) without NUL characters (isAbsolutePath)',
      );
    });

    it('reports a missing path and a misspelt key', () => {
      const error = parseError({ pth: '/x' });
      expect(error.details.violations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'path', rule: 'isString' }),
          expect.objectContaining({ field: 'path', rule: 'isAbsolutePath' }),
          expect.objectContaining({ field: 'pth', rule: 'whitelistValidation' }),
        ]),
      );
    });

    it('refuses a path with a NUL character', () => {
      expect(parseError({ path: '/pool\0/x' }).details.violations).toEqual([
        expect.objectContaining({ field: 'path', rule: 'isAbsolutePath' }),
      ]);
    });
  });

  describe('connect', () => {
    it('creates a missing pool directory, parents included', async () => {
      const nested = join(dir, 'a', 'b', 'pool');
      await driverAt(nested).connect();
      expect((await stat(nested)).isDirectory()).toBe(true);
    });

    it('says clearly when the pool path is a file', async () => {
      await writeFile(join(dir, 'file'), '');
      const error = await rejection(driverAt(join(dir, 'file')).connect());
      expect(error).toMatchObject({ kind: 'invalid', code: 'file.pool_not_directory' });
      expect(error.message).toContain(`pool path ${join(dir, 'file')} is not a directory`);
    });

    it('says clearly when a parent of the pool path is a file', async () => {
      await writeFile(join(dir, 'file'), '');
      const error = await rejection(driverAt(join(dir, 'file', 'pool')).connect());
      expect(error).toMatchObject({ kind: 'invalid', code: 'file.pool_not_directory' });
    });

    const isRoot = process.getuid?.() === 0;
    (isRoot ? it.skip : it)(
      isRoot
        ? 'says clearly when the pool directory is not writable: skipped because this runs as root, which ignores permission bits; the simulated EACCES test covers the message'
        : 'says clearly when the pool directory is not writable',
      async () => {
        await mkdir(pool);
        await chmod(pool, 0o500);
        const error = await rejection(driver.connect());
        expect(error).toMatchObject({ kind: 'terminal', code: 'file.pool_not_writable' });
        expect(error.message).toContain(`pool directory ${pool} is not writable`);
      },
    );

    it('says clearly when the pool directory is not writable (simulated EACCES on the write probe)', async () => {
      jest.spyOn(fsPromises, 'open').mockRejectedValueOnce(errnoError('EACCES', join(pool, '.strata-probe')));
      const error = await rejection(driver.connect());
      expect(error).toMatchObject({ kind: 'terminal', code: 'file.pool_not_writable' });
      expect(error.message).toMatch(
        new RegExp(`^pool directory ${pool} is not writable by this process \\(uid \\d+\\): permission denied \\(EACCES\\)$`),
      );
    });

    it('leaves no probe file behind', async () => {
      await driver.connect();
      expect(await driver.listVolumes()).toEqual([]);
      expect(await fsPromises.readdir(pool)).toEqual([]);
    });
  });

  describe('error mapping', () => {
    it('maps ENOSPC on create to capacity, naming the file', async () => {
      await driver.connect();
      const path = join(pool, 'vol-full.raw');
      jest.spyOn(fsPromises, 'open').mockRejectedValueOnce(errnoError('ENOSPC', path));
      const error = await rejection(driver.createVolume({ name: 'vol-full', sizeBytes: 4096 }));
      expect(error).toMatchObject({ kind: 'capacity', code: 'file.no_space' });
      expect(error.message).toBe(`create volume file ${path}: no space left on device (ENOSPC)`);
      expect(error.details).toMatchObject({ path, errno: 'ENOSPC' });
    });

    it('maps EIO while listing to transient', async () => {
      await driver.connect();
      jest.spyOn(fsPromises, 'readdir').mockRejectedValueOnce(errnoError('EIO', pool));
      expect(await rejection(driver.listVolumes())).toMatchObject({ kind: 'transient', code: 'file.io_error' });
    });

    it('reports a pool directory that has vanished as not_found', async () => {
      await driver.connect();
      await rm(pool, { recursive: true });
      const error = await rejection(driver.getCapacity());
      expect(error.kind).toBe('not_found');
      expect(error.message).toContain(pool);
    });

    it.each<[string, BackendErrorKind]>([
      ['ENOSPC', 'capacity'],
      ['EDQUOT', 'capacity'],
      ['EACCES', 'terminal'],
      ['EPERM', 'terminal'],
      ['EROFS', 'terminal'],
      ['ENOENT', 'not_found'],
      ['EEXIST', 'conflict'],
      ['EFBIG', 'invalid'],
      ['EIO', 'transient'],
      ['EAGAIN', 'transient'],
      ['EBUSY', 'transient'],
      ['ESTALE', 'transient'],
      ['EWHATEVER', 'terminal'],
    ])('maps %s to %s', (errno, kind) => {
      const error = toFileBackendError(errnoError(errno, '/p/x.raw'), 'open volume file', '/p/x.raw');
      expect(error.kind).toBe(kind);
      expect(error.message).toMatch(new RegExp(`^open volume file /p/x\\.raw: .+\\(${errno}\\)$`));
    });

    it('has a distinct description for every mapped errno', () => {
      const descriptions = Object.values(FILE_ERRNO_RULES).map((rule) => rule.description);
      expect(new Set(descriptions).size).toBe(descriptions.length);
    });

    it('maps an error without errno to terminal, keeping its message', () => {
      const error = toFileBackendError(new TypeError('bad argument'), 'open volume file', '/p/x.raw');
      expect(error).toMatchObject({ kind: 'terminal', code: 'file.unexpected', message: 'open volume file /p/x.raw: bad argument' });
    });

    it('passes a BackendError through unchanged', () => {
      const original = new BackendError('conflict', 'volume.size_conflict', 'different size');
      expect(toFileBackendError(original, 'x', '/p')).toBe(original);
    });
  });

  it('is what the plugin builds', () => {
    expect(driverAt('/tmp/x')).toBeInstanceOf(FileDriver);
  });
});
