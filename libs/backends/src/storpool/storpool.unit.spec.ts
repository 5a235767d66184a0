import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backendObjectName,
  backendVolumeName,
  capable,
  checkCapabilities,
  createDriverFromConfig,
  isBackendError,
  OBJECT_PREFIXES,
  type BackendError,
} from '@strata/plugin-sdk';
import { runPrimaryStorageConformance, type ConformanceSubject } from '../conformance';
import { SimError, startStorPoolSimulator, type StorPoolSimulator } from './simulator';
import { StorPoolClient } from './storpool.client';
import { MARKER_TAG, StorPoolDriver } from './storpool.driver';
import { toStorPoolError } from './storpool.errors';
import { storpoolManifest } from './storpool.manifest';
import { storpoolPlugin } from './storpool.plugin';
import type { SnapshotSummary, TemplateStatus, VolumeSummary } from './storpool.types';

const INSTALLATION = 't3st';
const MiB = 2 ** 20;

interface Pool {
  readonly sim: StorPoolSimulator;
  readonly dir: string;
  config(overrides?: Record<string, unknown>): Record<string, unknown>;
  driver(overrides?: Record<string, unknown>, sleeps?: number[]): StorPoolDriver;
  /** A client speaking to the simulator directly, to look at what the driver did. */
  readonly api: StorPoolClient;
  close(): Promise<void>;
}

async function startPool(): Promise<Pool> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-storpool-'));
  const sim = await startStorPoolSimulator({ port: 0, dataDir: dir, timeoutFaultMs: 3000 });
  const config = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    host: sim.host,
    port: sim.port,
    authToken: sim.authToken,
    template: 'nvme',
    clients: { 'host-1': 1, 'host-2': 2, localhost: 1 },
    devicePath: sim.devicePathTemplate,
    timeoutMs: 1000,
    diskWaitMs: 2000,
    transientRetryBaseMs: 5,
    ...overrides,
  });
  return {
    sim,
    dir,
    config,
    driver: (overrides = {}, sleeps) => {
      const parsed = storpoolPlugin.parseConfig(config(overrides));
      return new StorPoolDriver(parsed, { installationId: INSTALLATION }, sleeps === undefined ? {} : { sleep: async (ms) => void sleeps.push(ms) });
    },
    api: new StorPoolClient({
      host: sim.host,
      port: sim.port,
      authToken: sim.authToken,
      timeoutMs: 5000,
      maxConnections: 4,
      multiCluster: false,
      transientRetries: 0,
      transientRetryBaseMs: 0,
    }),
    close: async () => {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function subject(overrides: Record<string, unknown> = {}): Promise<ConformanceSubject> {
  const pool = await startPool();
  const driver = createDriverFromConfig(storpoolPlugin, pool.config(overrides), { installationId: INSTALLATION });
  // 'host' is the StorPool client id the conformance suite attaches to, where the suite asks for one.
  return {
    driver,
    cleanup: () => pool.close(),
    faults: { inject: pool.sim.faults.inject, on401: 'terminal', clientTimeoutMs: 1000 },
    // The StorPool client id the suite attaches volumes to.
    host: '1',
    secrets: [pool.sim.authToken],
  };
}

runPrimaryStorageConformance('storpool', () => subject());
runPrimaryStorageConformance('storpool (MultiCluster/ queries)', () => subject({ multiCluster: true }));

async function rejection(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    if (isBackendError(error)) return error;
    throw new Error(`expected a BackendError, got ${String(error)}`);
  }
  throw new Error('expected the call to fail');
}

function volumeName(): string {
  return backendVolumeName(storpoolManifest, { volumeId: randomUUID(), poolKey: 'c0f1', installationId: INSTALLATION });
}

function snapshotName(): string {
  return backendObjectName(storpoolManifest, OBJECT_PREFIXES.snapshot, { volumeId: randomUUID(), poolKey: 'c0f1', installationId: INSTALLATION });
}

async function writeAt(path: string, offset: number, text: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(Buffer.from(text), 0, text.length, offset);
  } finally {
    await handle.close();
  }
}

async function readAt(path: string, offset: number, length: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    return buffer.toString();
  } finally {
    await handle.close();
  }
}

describe('storpool backend', () => {
  let pool: Pool;
  let driver: StorPoolDriver;

  beforeEach(async () => {
    pool = await startPool();
    driver = pool.driver();
    await driver.connect();
  });

  afterEach(async () => {
    await driver.close();
    await pool.close();
  });

  it('implements exactly the capabilities its manifest declares', () => {
    expect(checkCapabilities(driver)).toEqual([]);
  });

  it('names volumes strata-<id>-<installation id>, within StorPool\'s name rule', () => {
    const name = volumeName();
    expect(name).toMatch(/^strata-[0-9a-f-]{36}-t3st$/);
    expect(name).toMatch(/^#?[A-Za-z0-9_\-.:]+$/);
  });

  describe('sizes: the 512-byte rule', () => {
    it('refuses a size that is not a multiple of 512 before calling StorPool', async () => {
      const error = await rejection(driver.createVolume({ name: volumeName(), sizeBytes: 1000 }));
      expect(error).toMatchObject({ kind: 'invalid', code: 'size.invalid' });
      expect(await pool.api.get<VolumeSummary[]>('VolumesList')).toEqual([]);
    });

    it('accepts 512 bytes, the smallest StorPool volume', async () => {
      const name = volumeName();
      await expect(driver.createVolume({ name, sizeBytes: 512 })).resolves.toEqual({ name, sizeBytes: 512 });
    });
  });

  describe('create', () => {
    it('sends VolumeCreate{name,size,template,tags} with the marker, vc-policy and default qc tier', async () => {
      const tagged = pool.driver({ vcPolicy: 'gold-policy', defaultQosTier: 'tier2' });
      const name = volumeName();
      await tagged.createVolume({ name, sizeBytes: 4 * MiB });
      const [volume] = await pool.api.get<VolumeSummary[]>('Volume', name);
      expect(volume).toMatchObject({ name, size: 4 * MiB, templateName: 'nvme', parentName: '' });
      expect(volume?.tags).toEqual({ [MARKER_TAG]: INSTALLATION, 'vc-policy': 'gold-policy', qc: 'tier2' });
    });

    it('finds the volume a crashed attempt made, and refuses one another installation made', async () => {
      const name = volumeName();
      await pool.api.post('VolumeCreate', undefined, { name, size: MiB, template: 'nvme', tags: { [MARKER_TAG]: INSTALLATION } });
      await expect(driver.createVolume({ name, sizeBytes: MiB })).resolves.toMatchObject({ name, sizeBytes: MiB });
      const other = volumeName();
      await pool.api.post('VolumeCreate', undefined, { name: other, size: MiB, template: 'nvme', tags: { cs: 'x' } });
      expect(await rejection(driver.createVolume({ name: other, sizeBytes: MiB }))).toMatchObject({ kind: 'conflict', code: 'storpool.foreign_volume' });
      // Ours, but in another pool (template): not this pool's volume to adopt.
      expect(await rejection(pool.driver({ template: 'hdd' }).createVolume({ name, sizeBytes: MiB }))).toMatchObject({
        kind: 'conflict',
        code: 'storpool.volume_in_other_template',
      });
    });

    it('refuses thick provisioning', async () => {
      expect(await rejection(driver.createVolume({ name: volumeName(), sizeBytes: MiB, thin: false }))).toMatchObject({ kind: 'invalid' });
    });
  });

  describe('auth', () => {
    it('says authentication failed on a 401, as terminal, without the token', async () => {
      const bad = pool.driver({ authToken: 'wrong-token-123' });
      const error = await rejection(bad.connect());
      expect(error).toMatchObject({ kind: 'terminal', code: 'storpool.auth_failed' });
      expect(error.message).toContain('authentication failed');
      expect(error.message).not.toContain('wrong-token-123');
      expect(error.message).not.toContain(pool.sim.authToken);
    });

    it('refuses a missing template at connect as invalid configuration', async () => {
      const error = await rejection(pool.driver({ template: 'ssd' }).connect());
      expect(error).toMatchObject({ kind: 'invalid', code: 'storpool.template_not_found' });
      expect(error.message).toContain('ssd');
    });
  });

  describe('transient errors: the vendor retry rule', () => {
    it('retries up to 5 times, sleeping base * 2^n, then succeeds', async () => {
      const sleeps: number[] = [];
      const retrying = pool.driver({ transientRetryBaseMs: 1000 }, sleeps);
      await pool.sim.faults.inject('5xx', 3);
      await expect(retrying.getCapacity()).resolves.toMatchObject({ totalBytes: 1024 * 1024 * MiB });
      expect(sleeps).toEqual([1000, 2000, 4000]);
    });

    it('gives up after the 5th retry with kind transient, naming the call', async () => {
      const sleeps: number[] = [];
      const retrying = pool.driver({}, sleeps);
      await pool.sim.faults.inject('5xx', 6);
      const error = await rejection(retrying.getCapacity());
      expect(error).toMatchObject({ kind: 'transient', code: 'storpool.transient' });
      expect(error.message).toContain('read capacity of template nvme');
      expect(error.message).toContain('clusterNotReady');
      expect(sleeps).toEqual([5, 10, 20, 40, 80]);
      await expect(retrying.getCapacity()).resolves.toBeDefined();
    });

    it('does not retry a timeout (the call may have happened) and reports it as transient', async () => {
      const sleeps: number[] = [];
      const retrying = pool.driver({ timeoutMs: 300 }, sleeps);
      await pool.sim.faults.inject('timeout', 1);
      const started = Date.now();
      expect(await rejection(retrying.getCapacity())).toMatchObject({ kind: 'transient', code: 'http.timeout' });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(sleeps).toEqual([]);
    });

    it('creates once when the answer to a create is lost: the repeat adopts what the array made', async () => {
      const name = volumeName();
      const quick = pool.driver({ timeoutMs: 300 });
      await pool.sim.faults.inject('lost-answer', 1);
      expect(await rejection(quick.createVolume({ name, sizeBytes: MiB }))).toMatchObject({ kind: 'transient', code: 'http.timeout' });
      await expect(quick.createVolume({ name, sizeBytes: MiB })).resolves.toMatchObject({ name, sizeBytes: MiB });
      expect((await quick.listVolumes()).filter((v) => v.name === name)).toHaveLength(1);
    });

    it('deletes once when the answer to a delete is lost: the repeat finds it gone and succeeds', async () => {
      const name = volumeName();
      const quick = pool.driver({ timeoutMs: 300 });
      await quick.createVolume({ name, sizeBytes: MiB });
      // deleteVolume lists the snapshots first: that call gets its answer, the VolumeDelete loses it.
      await pool.sim.faults.inject('lost-answer', 1, 'VolumeDelete');
      expect(await rejection(quick.deleteVolume(name))).toMatchObject({ kind: 'transient', code: 'http.timeout' });
      await expect(quick.deleteVolume(name)).resolves.toBeUndefined();
      expect((await quick.listVolumes()).filter((v) => v.name === name)).toEqual([]);
    });

    it('retries a refused connection the same way', async () => {
      const sleeps: number[] = [];
      const closed = pool.driver({ port: 1 }, sleeps);
      const error = await rejection(closed.getCapacity());
      expect(error).toMatchObject({ kind: 'transient', code: 'http.unreachable' });
      expect(sleeps).toEqual([5, 10, 20, 40, 80]);
    });
  });

  describe('attach and detach: VolumesReassign', () => {
    it('attaches rw to the host\'s client id and returns the device path, which appears there', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: MiB });
      const grant = await driver.grantAccess(name, 'host-2');
      expect(grant.devicePath).toBe(join(pool.dir, 'volumes', `${name}.raw`));
      expect((await stat(grant.devicePath)).size).toBe(MiB);
      expect(await pool.api.get('AttachmentsList')).toEqual([expect.objectContaining({ volume: name, client: 2, rights: 'rw', snapshot: false })]);
      await driver.grantAccess(name, '1');
      await driver.revokeAccess(name, 'host-2');
      expect(await pool.api.get('AttachmentsList')).toEqual([expect.objectContaining({ volume: name, client: 1 })]);
    });

    it('waits diskWaitMs for the device to appear, and fails as transient when it does not', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: MiB });
      const missing = pool.driver({ devicePath: join(pool.dir, 'nowhere', '{client}', '{name}'), diskWaitMs: 300 });
      const started = Date.now();
      const error = await rejection(missing.grantAccess(name, 'host-1'));
      expect(error).toMatchObject({ kind: 'transient', code: 'device.wait_timeout' });
      expect(error.message).toContain(join(pool.dir, 'nowhere', '1', name));
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      // diskWaitMs 0: the driver does not run on the host, so it does not look for the device.
      const remote = pool.driver({ devicePath: '/dev/storpool/{name}', diskWaitMs: 0 });
      await expect(remote.grantAccess(name, 'host-1')).resolves.toEqual({ devicePath: `/dev/storpool/${name}` });
    });

    it('refuses a host that is no StorPool client, and a client the cluster does not have', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: MiB });
      expect(await rejection(driver.grantAccess(name, 'host-9'))).toMatchObject({ kind: 'invalid', code: 'storpool.invalid_request' });
      const error = await rejection(driver.grantAccess(name, '7'));
      expect(error).toMatchObject({ kind: 'invalid', code: 'storpool.invalid_param' });
      expect(error.message).toContain('client 7');
    });

    it('deletes an attached volume with onAttached detach; without it StorPool refuses', async () => {
      const [name, other] = [volumeName(), volumeName()];
      await driver.createVolume({ name, sizeBytes: MiB });
      await driver.createVolume({ name: other, sizeBytes: MiB });
      await driver.grantAccess(name, 'host-1');
      await driver.grantAccess(other, 'host-1');
      await expect(pool.api.post('VolumeDelete', other, {})).rejects.toMatchObject({ errorName: 'objectAttached', status: 409 });
      await driver.deleteVolume(name);
      expect((await driver.listVolumes()).map((v) => v.name)).toEqual([other]);
      expect(await pool.api.get('AttachmentsList')).toEqual([expect.objectContaining({ volume: other })]);
    });
  });

  describe('snapshots, revert and clones', () => {
    it('reverts an attached volume as CloudStack does: detach (StorPool refuses revert while attached), revert, attach again', async () => {
      const name = volumeName();
      const snap = snapshotName();
      await driver.createVolume({ name, sizeBytes: 4 * MiB });
      const { devicePath } = await driver.grantAccess(name, 'host-1');
      await writeAt(devicePath, MiB, 'before');
      await driver.createSnapshot(name, snap);
      await writeAt(devicePath, MiB, 'after!');
      const refused = await rejection(
        pool.api.post('VolumeRevert', name, { toSnapshot: snap }).catch((error: unknown) => {
          throw toStorPoolError(error, { operation: 'revert volume', object: name }, 'sim');
        }),
      );
      expect(refused).toMatchObject({ kind: 'conflict', code: 'storpool.object_attached' });
      expect(await readAt(devicePath, MiB, 6)).toBe('after!');
      await driver.revertToSnapshot(name, snap);
      expect(await readAt(devicePath, MiB, 6)).toBe('before');
      expect(await pool.api.get('AttachmentsList')).toEqual([expect.objectContaining({ volume: name, client: 1, rights: 'rw' })]);
    });

    it('refuses a snapshot name another volume already uses, as a conflict', async () => {
      const [a, b, snap] = [volumeName(), volumeName(), snapshotName()];
      await driver.createVolume({ name: a, sizeBytes: MiB });
      await driver.createVolume({ name: b, sizeBytes: MiB });
      await driver.createSnapshot(a, snap);
      const error = await rejection(driver.createSnapshot(b, snap));
      expect(error).toMatchObject({ kind: 'conflict', code: 'storpool.snapshot_name_taken' });
      expect(error.message).toContain(`a snapshot of volume ${a}`);
    });

    it('attaches the volume again when the revert itself fails, and reports the revert failure', async () => {
      const [name, snap] = [volumeName(), snapshotName()];
      await driver.createVolume({ name, sizeBytes: MiB });
      await driver.createSnapshot(name, snap);
      await driver.grantAccess(name, 'host-2');
      const { state } = pool.sim;
      const handle = state.handle.bind(state);
      const spy = jest.spyOn(state, 'handle').mockImplementation(async (method, query, arg, json, info) => {
        if (query === 'VolumeRevert') throw new SimError(500, 'internalError', 'revert broke', false);
        return handle(method, query, arg, json, info);
      });
      try {
        const error = await rejection(driver.revertToSnapshot(name, snap));
        expect(error).toMatchObject({ kind: 'transient', code: 'storpool.server_error' });
        expect(error.message).toContain('revert broke');
      } finally {
        spy.mockRestore();
      }
      expect(await pool.api.get('AttachmentsList')).toEqual([expect.objectContaining({ volume: name, client: 2, rights: 'rw' })]);
    });

    it('refuses reverting to a snapshot of another volume', async () => {
      const [a, b, snap] = [volumeName(), volumeName(), snapshotName()];
      await driver.createVolume({ name: a, sizeBytes: MiB });
      await driver.createVolume({ name: b, sizeBytes: MiB });
      await driver.createSnapshot(a, snap);
      expect(await rejection(driver.revertToSnapshot(b, snap))).toMatchObject({ kind: 'invalid', code: 'storpool.snapshot_of_other_volume' });
    });

    it('clones with VolumeCreate{parent} and copies with VolumeCreate{baseOn}, each with the source\'s bytes', async () => {
      const [source, snap, clone, copy] = [volumeName(), snapshotName(), volumeName(), volumeName()];
      await driver.createVolume({ name: source, sizeBytes: 4 * MiB });
      const { devicePath } = await driver.grantAccess(source, 'host-1');
      await writeAt(devicePath, 0, 'snapshot-bytes');
      await driver.createSnapshot(source, snap);
      await driver.cloneFromSnapshot({ sourceVolumeName: source, snapshotName: snap, name: clone, sizeBytes: 8 * MiB });
      await writeAt(devicePath, 0, 'live-bytes----');
      await driver.copyVolume(source, copy);
      const [cloned] = await pool.api.get<VolumeSummary[]>('Volume', clone);
      expect(cloned).toMatchObject({ parentName: snap, size: 8 * MiB, templateName: 'nvme' });
      const [copied] = await pool.api.get<VolumeSummary[]>('Volume', copy);
      const transient = (await pool.api.get<SnapshotSummary[]>('Snapshot', copied?.parentName ?? ''))[0];
      expect(transient).toMatchObject({ transient: true, onVolume: source });
      expect(await readAt((await driver.grantAccess(clone, 'host-2')).devicePath, 0, 14)).toBe('snapshot-bytes');
      expect(await readAt((await driver.grantAccess(copy, 'host-2')).devicePath, 0, 14)).toBe('live-bytes----');
      // Snapshots made by baseOn are StorPool's, not the user's.
      expect((await driver.listSnapshots(source)).map((s) => s.name)).toEqual([snap]);
    });

    it('keeps snapshot files sparse', async () => {
      const [name, snap] = [volumeName(), snapshotName()];
      await driver.createVolume({ name, sizeBytes: 256 * MiB });
      await writeAt((await driver.grantAccess(name, 'host-1')).devicePath, 100 * MiB, 'x');
      await driver.createSnapshot(name, snap);
      const file = await stat(join(pool.dir, 'snapshots', `${snap}.raw`));
      expect(file.size).toBe(256 * MiB);
      expect(file.blocks * 512).toBeLessThanOrEqual(2 * MiB);
      expect(['reflink', 'cp', 'scan']).toContain(pool.sim.state.lastCopyMethod);
    });

    it('builds the volume tree from onVolume and parentName, and deletes it whole', async () => {
      const [root, s1, s2, clone, cs] = [volumeName(), snapshotName(), snapshotName(), volumeName(), snapshotName()];
      await driver.createVolume({ name: root, sizeBytes: MiB });
      await driver.createSnapshot(root, s1);
      await driver.createSnapshot(root, s2);
      await driver.cloneFromSnapshot({ sourceVolumeName: root, snapshotName: s1, name: clone });
      await driver.createSnapshot(clone, cs);
      const tree = await driver.getVolumeTree(root);
      expect(tree).toMatchObject({ root, snapshotCount: 3, snapshotLimit: null });
      expect(tree.members.map((m) => [m.name, m.kind, m.parent])).toEqual([
        [root, 'volume', null],
        [s1, 'snapshot', root],
        [s2, 'snapshot', root],
        [clone, 'clone', s1],
        [cs, 'snapshot', clone],
      ]);
      // A clone is in its source's tree; deleting the clone's own tree takes only what hangs below it.
      expect(await driver.getVolumeTree(clone)).toMatchObject({ root, snapshotCount: 3 });
      expect(await rejection(driver.deleteVolume(root))).toMatchObject({ kind: 'conflict', code: 'storpool.volume_has_snapshots' });
      await driver.deleteVolumeTree(root);
      expect(await pool.api.get('VolumesList')).toEqual([]);
      expect(await pool.api.get('SnapshotsList')).toEqual([]);
      await expect(driver.deleteVolumeTree(root)).resolves.toBeUndefined();
    });

    it('cleans up snapshots a crashed tree delete left after the root was gone', async () => {
      const [root, snap] = [volumeName(), snapshotName()];
      await driver.createVolume({ name: root, sizeBytes: MiB });
      await driver.createSnapshot(root, snap);
      // StorPool itself deletes a volume and keeps its snapshots.
      await pool.api.post('VolumeDelete', root, {});
      expect((await pool.api.get<SnapshotSummary[]>('SnapshotsList')).map((s) => s.name)).toEqual([snap]);
      await driver.deleteVolumeTree(root);
      expect(await pool.api.get('SnapshotsList')).toEqual([]);
    });
  });

  describe('group snapshots: VolumesGroupSnapshot', () => {
    it('snapshots all members at once with the group tag, idempotently, and deletes them', async () => {
      const [a, b] = [volumeName(), volumeName()];
      const members = [
        { volumeName: a, snapshotName: snapshotName() },
        { volumeName: b, snapshotName: snapshotName() },
      ];
      await driver.createVolume({ name: a, sizeBytes: MiB });
      await driver.createVolume({ name: b, sizeBytes: 2 * MiB });
      const group = capable(driver, 'groupSnapshot');
      const first = await group.createGroupSnapshot('vmsnap-1', members);
      expect(first.map((s) => [s.name, s.volumeName, s.sizeBytes])).toEqual([
        [members[0]?.snapshotName, a, MiB],
        [members[1]?.snapshotName, b, 2 * MiB],
      ]);
      expect(await group.createGroupSnapshot('vmsnap-1', members)).toEqual(first);
      const listed = await pool.api.get<SnapshotSummary[]>('SnapshotsList');
      expect(listed).toHaveLength(2);
      expect(listed.every((s) => s.tags?.['strata-group'] === 'vmsnap-1')).toBe(true);
      await group.deleteGroupSnapshot('vmsnap-1', members);
      await group.deleteGroupSnapshot('vmsnap-1', members);
      expect(await driver.listSnapshots(a)).toEqual([]);
      // The volumes are the snapshots' children: StorPool keeps them as deleted until the volumes go.
      expect((await pool.api.get<SnapshotSummary[]>('SnapshotsList')).map((s) => s.deleted)).toEqual([true, true]);
      await driver.deleteVolume(a);
      await driver.deleteVolume(b);
      expect(await pool.api.get('SnapshotsList')).toEqual([]);
    });

    it('makes nothing when one member is missing', async () => {
      const a = volumeName();
      await driver.createVolume({ name: a, sizeBytes: MiB });
      const error = await rejection(
        driver.createGroupSnapshot('vmsnap-2', [
          { volumeName: a, snapshotName: snapshotName() },
          { volumeName: volumeName(), snapshotName: snapshotName() },
        ]),
      );
      expect(error.kind).toBe('not_found');
      expect(await pool.api.get('SnapshotsList')).toEqual([]);
    });
  });

  describe('QoS: iops, bw and qc tiers', () => {
    it('sets iops and bw (KB/s) on the volume and the tier as the qc tag; null removes them', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: MiB });
      await driver.setQos(name, { iops: 5000, bandwidthBytesPerSecond: 100 * MiB, tier: 'gold' });
      let [volume] = await pool.api.get<VolumeSummary[]>('Volume', name);
      expect(volume).toMatchObject({ iops: 5000, bw: 100 * 1024 });
      expect(volume?.tags?.['qc']).toBe('gold');
      await driver.setQos(name, { iops: null, bandwidthBytesPerSecond: null, tier: null });
      [volume] = await pool.api.get<VolumeSummary[]>('Volume', name);
      expect(volume).toMatchObject({ iops: '-', bw: '-' });
      expect(volume?.tags).toEqual({ [MARKER_TAG]: INSTALLATION });
    });

    it('uses the configured tier tag key and refuses invalid limits', async () => {
      const custom = pool.driver({ qosTierTagKey: 'sp-tier' });
      const name = volumeName();
      await custom.createVolume({ name, sizeBytes: MiB });
      await custom.setQos(name, { tier: 'silver' });
      expect(await custom.getVolumeTags(name)).toEqual({ [MARKER_TAG]: INSTALLATION, 'sp-tier': 'silver' });
      expect(await rejection(custom.setQos(name, { iops: -1 }))).toMatchObject({ kind: 'invalid' });
      expect(await rejection(custom.setQos(name, { tier: 'no spaces' }))).toMatchObject({ kind: 'invalid' });
      expect(await rejection(custom.setQos(volumeName(), { iops: 10 }))).toMatchObject({ kind: 'not_found' });
    });

    it('sets and removes tags, refusing our own marker', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: MiB });
      await driver.setVolumeTags(name, { 'vc-policy': 'p1', cvm: 'vm-1' });
      await driver.setVolumeTags(name, { cvm: null });
      expect(await driver.getVolumeTags(name)).toEqual({ [MARKER_TAG]: INSTALLATION, 'vc-policy': 'p1' });
      expect(await rejection(driver.setVolumeTags(name, { [MARKER_TAG]: 'x' }))).toMatchObject({ kind: 'invalid' });
    });
  });

  describe('native migration: VolumeUpdate{template}', () => {
    it('moves the whole tree to another template and reports done once every member is there', async () => {
      const [root, snap, clone] = [volumeName(), snapshotName(), volumeName()];
      await driver.createVolume({ name: root, sizeBytes: MiB });
      await driver.createSnapshot(root, snap);
      await driver.cloneFromSnapshot({ sourceVolumeName: root, snapshotName: snap, name: clone });
      expect(await driver.treeMigrationStatus(root, 'hdd')).toMatchObject({ state: 'running', progressPercent: 0 });
      await driver.startTreeMigration(root, 'hdd');
      await driver.startTreeMigration(root, 'hdd');
      expect(await driver.treeMigrationStatus(root, 'hdd')).toEqual({ state: 'done', progressPercent: 100 });
      const volumes = await pool.api.get<VolumeSummary[]>('VolumesList');
      expect(volumes.map((v) => v.templateName)).toEqual(['hdd', 'hdd']);
      expect((await pool.api.get<SnapshotSummary[]>('SnapshotsList')).map((s) => s.templateName)).toEqual(['hdd']);
      // The volumes now belong to the hdd pool's inventory, not to nvme's.
      expect(await driver.listVolumes()).toEqual([]);
      expect((await pool.driver({ template: 'hdd' }).listVolumes()).map((v) => v.name).sort()).toEqual([root, clone].sort());
    });

    it('migrationTarget: one API however spelt is one cluster (port 81 when omitted), another API is another; the pool is the template', () => {
      const target = (overrides: Record<string, unknown>) => pool.driver(overrides).migrationTarget();
      const base = target({ host: 'sp-api.example.com', port: undefined });
      expect(base).toEqual({ cluster: 'sp-api.example.com:81', pool: 'nvme' });
      expect(target({ host: 'SP-API.Example.COM', port: 81 })).toEqual(base);
      expect(target({ host: 'sp-api.example.com', port: 81, template: 'hdd', multiCluster: true })).toEqual({ cluster: base.cluster, pool: 'hdd' });
      expect(target({ host: 'sp-api2.example.com', port: undefined }).cluster).not.toBe(base.cluster);
      expect(target({ host: 'sp-api.example.com', port: 82 }).cluster).not.toBe(base.cluster);
      expect(target({ host: '[0:0:0:0:0:0:0:1]', port: 8081 }).cluster).toBe(target({ host: '[::1]', port: 8081 }).cluster);
      expect(target({ host: '10.1.2.3', port: undefined }).cluster).toBe('10.1.2.3:81');
    });

    it('migrationTarget of a second template on the same API names the cluster alike and is what startTreeMigration takes', async () => {
      const destination = pool.driver({ template: 'hdd' }).migrationTarget();
      expect(destination.cluster).toBe(driver.migrationTarget().cluster);
      expect(destination.cluster).not.toBe('');
      expect(destination.pool).toBe('hdd');
      const root = volumeName();
      await driver.createVolume({ name: root, sizeBytes: MiB });
      await driver.startTreeMigration(root, destination.pool);
      expect(await driver.treeMigrationStatus(root, destination.pool)).toEqual({ state: 'done', progressPercent: 100 });
    });

    it('refuses a destination template the cluster does not have', async () => {
      const root = volumeName();
      await driver.createVolume({ name: root, sizeBytes: MiB });
      expect(await rejection(driver.startTreeMigration(root, 'ssd'))).toMatchObject({ kind: 'invalid', code: 'storpool.template_not_found' });
    });
  });

  describe('capacity: VolumeTemplatesStatus', () => {
    it('reports the template\'s stored capacity, used = capacity - free, growing as data is written', async () => {
      const before = await driver.getCapacity();
      expect(before).toEqual({ totalBytes: 1024 * 1024 * MiB, usedBytes: 0, freeBytes: 1024 * 1024 * MiB });
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 64 * MiB });
      const { devicePath } = await driver.grantAccess(name, 'host-1');
      await writeAt(devicePath, 0, 'x'.repeat(4096));
      await writeAt(devicePath, 32 * MiB, 'y'.repeat(4096));
      const after = await driver.getCapacity();
      expect(after.usedBytes).toBeGreaterThanOrEqual(8192);
      expect(after.usedBytes + after.freeBytes).toBe(after.totalBytes);
      const [status] = (await pool.api.get<TemplateStatus[]>('VolumeTemplatesStatus')).filter((t) => t.name === 'nvme');
      expect(after.freeBytes).toBe(status?.stored.free);
    });
  });

  describe('wire format', () => {
    it('sends MultiCluster/ volume queries when configured, which the simulator answers with the cluster', async () => {
      const multi = new StorPoolClient({
        host: pool.sim.host,
        port: pool.sim.port,
        authToken: pool.sim.authToken,
        timeoutMs: 2000,
        maxConnections: 2,
        multiCluster: true,
        transientRetries: 0,
        transientRetryBaseMs: 0,
      });
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: MiB });
      expect(await multi.get<VolumeSummary[]>('Volume', name)).toEqual([expect.objectContaining({ name, clusterId: 'sim.a' })]);
      // Template queries have no MultiCluster form in python-storpool.
      expect(await multi.get('VolumeTemplateDescribe', 'nvme')).toMatchObject({ name: 'nvme' });
    });

    it('puts a GET\'s JSON argument into ?json=, which the simulator parses', async () => {
      await expect(pool.api.get('VolumeTemplatesList', undefined, { filter: 'x' })).resolves.toHaveLength(2);
      const response = await fetch(`${pool.sim.url}/ctrl/1.0/VolumesList?json=%7Bnot-json`, {
        headers: { authorization: `Storpool v1:${pool.sim.authToken}` },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { name: 'invalidParam', descr: 'the request JSON cannot be parsed', transient: false } });
    });
  });

  it('simulator main.ts exists for demos and docker-compose', async () => {
    const source = await readFile(join(__dirname, 'simulator', 'main.ts'), 'utf8');
    expect(source).toContain("'data-dir'");
    expect(source).toContain('startStorPoolSimulator');
  });
});
