import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Envelope } from '@strata/contracts';
import {
  startLinstorSimulator,
  startPowerFlexSimulator,
  startStorPoolSimulator,
  type LinstorSimulator,
  type PowerFlexSimulator,
  type StorPoolSimulator,
} from '@strata/backends';
import { backendObjectName, capable, OBJECT_PREFIXES, poolKeyOf } from '@strata/plugin-sdk';
import { DriverRegistry } from '@strata/pool-access';
import { PgEventStore } from '@strata/event-store';
import { SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';
import { VolumeRecovery } from './volumes/application/volume-recovery';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Buffer.equals, not toEqual: jest compares buffers byte by byte in JS. */
const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && a.equals(b);

async function writeAt(file: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

const marker = (text: string) => Buffer.from(text.repeat(4096).slice(0, 4096));

/**
 * CreateVolume with fromSnapshot: a backend clone of a snapshot (taken here through the
 * driver, named as the snapshot service names it) on the snapshot's pool, with the
 * snapshot's bytes; the refusals (unknown snapshot or source, another pool, too small);
 * and the source's deletion refused while the clone lives in its backend tree.
 */
describe('volumes made from snapshots', () => {
  let h: StorageHarness;
  let dir: string;
  let powerflex: PowerFlexSimulator;
  let linstor: LinstorSimulator;
  let storpool: StorPoolSimulator;
  let hostId: string;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const outcome = (commandId: string) => h.outcome(commandId);

  async function addPool(name: string, settings: Record<string, unknown>): Promise<string> {
    const poolId = randomUUID();
    expect(await outcome(await send('AddStoragePool', poolId, { name, zoneId: 'z1', ...settings }))).toMatchObject({ type: 'StoragePoolAdded' });
    return poolId;
  }

  async function createVolume(poolId: string, sizeBytes: number): Promise<{ volumeId: string; backendName: string; path: string | null }> {
    const volumeId = randomUUID();
    const created = await outcome(await send('CreateVolume', volumeId, { name: `src-${volumeId.slice(0, 8)}`, poolId, sizeBytes }));
    expect(created).toMatchObject({ type: 'VolumeCreated' });
    const data = created.data as { backendName: string; path: string | null };
    return { volumeId, backendName: data.backendName, path: data.path };
  }

  /** A snapshot taken on the backend directly, named as the snapshot service names it. */
  async function snapshot(poolId: string, volumeBackendName: string): Promise<{ snapshotId: string; name: string }> {
    const added = h.events.find((e) => e.type === 'StoragePoolAdded' && e.aggregateId === poolId)?.data as { plugin: string; config: Record<string, unknown> };
    const driver = await h.app.get(DriverRegistry).forPool({ poolId, ...added });
    const snapshotId = randomUUID();
    const { installationId } = h.app.get<ServiceConfig>(SERVICE_CONFIG);
    const name = backendObjectName(driver.manifest, OBJECT_PREFIXES.snapshot, { volumeId: snapshotId, poolKey: poolKeyOf(poolId), installationId });
    await capable(driver, 'snapshot').createSnapshot(volumeBackendName, name);
    return { snapshotId, name };
  }

  async function attach(volumeId: string): Promise<string> {
    const attached = await outcome(await send('AttachVolume', volumeId, { hostId }));
    expect(attached).toMatchObject({ type: 'VolumeAttached' });
    return (attached.data as { devicePath: string }).devicePath;
  }

  async function detach(volumeId: string): Promise<void> {
    expect(await outcome(await send('DetachVolume', volumeId, { hostId }))).toMatchObject({ type: 'VolumeDetached' });
  }

  const rejection = (event: Envelope) => event.data as { error: { code: string; message: string }; violations?: { field: string }[] };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-clone-'));
    powerflex = await startPowerFlexSimulator({ port: 0, dataDir: path.join(dir, 'powerflex') });
    linstor = await startLinstorSimulator({ port: 0, dataDir: path.join(dir, 'linstor') });
    storpool = await startStorPoolSimulator({ port: 0, dataDir: path.join(dir, 'storpool'), authToken: 'sp-clone-token' });
    h = await startStorageHarness('clone');
    hostId = randomUUID();
    const identities = { powerflexSdc: powerflex.sdcs[0].ip, linstorNode: 'node3', storpoolClientId: 1 };
    expect(await outcome(await send('RegisterHost', hostId, { name: 'kvm-clone', zoneId: 'z1', hypervisor: 'kvm', identities }))).toMatchObject({
      type: 'HostRegistered',
    });
  });

  afterAll(async () => {
    await h?.close();
    await powerflex?.close();
    await linstor?.close();
    await storpool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("on a file pool: the new volume has the snapshot's bytes, not the source's since; the source is kept while the clone lives", async () => {
    const poolId = await addPool('clone-file', { plugin: 'file', config: { path: path.join(dir, 'file') } });
    const source = await createVolume(poolId, 8 * MiB);
    const sourceFile = source.path as string;
    await writeAt(sourceFile, 0, marker('before the snapshot '));
    await writeAt(sourceFile, 5 * MiB + 17, marker('deep in the volume '));
    const expected = await readFile(sourceFile);
    const snap = await snapshot(poolId, source.backendName);
    // Overwritten after the snapshot: the clone must not see this.
    await writeAt(sourceFile, 0, marker('after the snapshot '));
    expect(sameBytes(await readFile(sourceFile), expected)).toBe(false);

    const cloneId = randomUUID();
    // zoneId is not used (the clone goes on the snapshot's pool), but the contract asks for poolId or zoneId.
    const create = await send('CreateVolume', cloneId, { name: 'from-snap', zoneId: 'elsewhere', sizeBytes: 8 * MiB, fromSnapshot: { snapshotId: snap.snapshotId, volumeId: source.volumeId } });
    const requested = await h.eventFor('VolumeCreationRequested', create);
    expect(requested.data).toMatchObject({
      poolId,
      sizeBytes: 8 * MiB,
      source: { snapshotId: snap.snapshotId, volumeId: source.volumeId, sourceVolumeBackendName: source.backendName, snapshotBackendName: snap.name },
    });
    const created = await outcome(create);
    expect(created).toMatchObject({ type: 'VolumeCreated', data: { poolId, sizeBytes: 8 * MiB } });
    const cloneFile = (created.data as { path: string }).path;
    expect(sameBytes(await readFile(cloneFile), expected)).toBe(true);

    // Larger than the snapshot: its bytes, then zeros.
    const biggerId = randomUUID();
    const bigger = await outcome(await send('CreateVolume', biggerId, { name: 'bigger', poolId, sizeBytes: 12 * MiB, fromSnapshot: { snapshotId: snap.snapshotId, volumeId: source.volumeId } }));
    expect(bigger).toMatchObject({ type: 'VolumeCreated', data: { sizeBytes: 12 * MiB } });
    const biggerBytes = await readFile((bigger.data as { path: string }).path);
    expect(sameBytes(biggerBytes.subarray(0, 8 * MiB), expected)).toBe(true);
    expect(biggerBytes.subarray(8 * MiB).every((b) => b === 0)).toBe(true);

    // The file backend records the clones' lineage: the source goes only after them.
    const refused = await outcome(await send('DeleteVolume', source.volumeId, { deleteSnapshots: true }));
    expect(refused).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'volume.has_clones' } } });

    // Made on the snapshot's pool, moved afterwards: a block copy of the clone alone (its source's snapshots are not its own).
    const elsewhere = await addPool('clone-file-moved', { plugin: 'file', config: { path: path.join(dir, 'file-moved') } });
    const migrate = await send('MigrateVolume', cloneId, { destinationPoolId: elsewhere, dataMoverHostId: hostId });
    const migrated = await outcome(migrate);
    expect(migrated).toMatchObject({ type: 'VolumeMigrated', data: { fromPoolId: poolId, toPoolId: elsewhere, mode: 'copy' } });
    await h.eventFor('VolumeMigrationSourceDeleted', migrate);
    expect(sameBytes(await readFile((migrated.data as { path: string }).path), expected)).toBe(true);

    // A clone is deleted on its own: its source's snapshots are not its own.
    expect(await outcome(await send('DeleteVolume', cloneId, {}))).toMatchObject({ type: 'VolumeDeleted' });
    expect(await outcome(await send('DeleteVolume', biggerId, {}))).toMatchObject({ type: 'VolumeDeleted' });
    expect(await outcome(await send('DeleteVolume', source.volumeId, { deleteSnapshots: true }))).toMatchObject({ type: 'VolumeDeleted' });
  });

  it('on a file pool: refuses an unknown source, an unknown snapshot, another pool and a size below the snapshot', async () => {
    const poolId = await addPool('clone-file-refusals', { plugin: 'file', config: { path: path.join(dir, 'file-r') } });
    const otherPool = await addPool('clone-file-other', { plugin: 'file', config: { path: path.join(dir, 'file-o') } });
    const source = await createVolume(poolId, 4 * MiB);
    const snap = await snapshot(poolId, source.backendName);
    const from = (over: Record<string, unknown> = {}) => ({ name: 'refused', poolId, sizeBytes: 4 * MiB, ...over, fromSnapshot: { snapshotId: snap.snapshotId, volumeId: source.volumeId, ...((over.fromSnapshot as object) ?? {}) } });

    const noSource = rejection(await outcome(await send('CreateVolume', randomUUID(), from({ fromSnapshot: { volumeId: randomUUID() } }))));
    expect(noSource).toMatchObject({ error: { code: 'volume.source_not_found' }, violations: [{ field: 'data.fromSnapshot.volumeId' }] });
    const noSnapshot = rejection(await outcome(await send('CreateVolume', randomUUID(), from({ fromSnapshot: { snapshotId: randomUUID() } }))));
    expect(noSnapshot).toMatchObject({ error: { code: 'volume.snapshot_not_found' }, violations: [{ field: 'data.fromSnapshot.snapshotId' }] });
    const elsewhere = rejection(await outcome(await send('CreateVolume', randomUUID(), from({ poolId: otherPool }))));
    expect(elsewhere).toMatchObject({ error: { code: 'volume.clone_other_pool', message: expect.stringContaining('migrate it afterwards') }, violations: [{ field: 'data.poolId' }] });
    const small = rejection(await outcome(await send('CreateVolume', randomUUID(), from({ sizeBytes: 2 * MiB }))));
    expect(small).toMatchObject({ error: { code: 'volume.size_below_snapshot' }, violations: [{ field: 'data.sizeBytes' }] });
    const deferred = rejection(await outcome(await send('CreateVolume', randomUUID(), from({ deferCreation: true }))));
    expect(deferred).toMatchObject({ error: { code: 'volume.clone_not_deferrable' }, violations: [{ field: 'data.deferCreation' }] });
    // Nothing was made by the refused requests.
    expect(await outcome(await send('DeleteVolume', source.volumeId, { deleteSnapshots: true }))).toMatchObject({ type: 'VolumeDeleted' });
    expect(await outcome(await send('DeleteStoragePool', poolId, {}))).toMatchObject({ type: 'StoragePoolDeleted' });
  });

  it('recovery finishes a clone a crash interrupted, before or after the backend call, once', async () => {
    const poolId = await addPool('clone-file-recovery', { plugin: 'file', config: { path: path.join(dir, 'file-rec') } });
    const source = await createVolume(poolId, 4 * MiB);
    await writeAt(source.path as string, 0, marker('recovered clone '));
    const expected = await readFile(source.path as string);
    const snap = await snapshot(poolId, source.backendName);
    const store = h.app.get(PgEventStore);
    const added = h.events.find((e) => e.type === 'StoragePoolAdded' && e.aggregateId === poolId)?.data as { plugin: string; config: Record<string, unknown> };
    const driver = await h.app.get(DriverRegistry).forPool({ poolId, ...added });
    const sourceRef = { snapshotId: snap.snapshotId, volumeId: source.volumeId, sourceVolumeBackendName: source.backendName, snapshotBackendName: snap.name };
    const crashed = async (cloneMade: boolean): Promise<string> => {
      const volumeId = randomUUID();
      const backendName = `vol-${volumeId}`;
      await store.append(`volume-${volumeId}`, 0, [
        {
          messageId: randomUUID(),
          type: 'VolumeCreationRequested',
          schemaVersion: 1,
          aggregateId: volumeId,
          occurredAt: new Date(Date.now() - 60_000).toISOString(),
          correlationId: 'clone-crash',
          causationId: randomUUID(),
          tenant: null,
          data: { volumeId, name: 'crashed', poolId, sizeBytes: 4 * MiB, volumeType: 'DATA', backendName, provisioning: 'thin', qos: null, allocation: null, source: sourceRef },
        },
      ]);
      if (cloneMade) await capable(driver, 'clone').cloneFromSnapshot({ sourceVolumeName: source.backendName, snapshotName: snap.name, name: backendName, sizeBytes: 4 * MiB });
      return volumeId;
    };
    const before = await crashed(false);
    const after = await crashed(true);
    const recovery = h.app.get(VolumeRecovery);
    await recovery.sweep(0);
    await recovery.sweep(0);
    for (const volumeId of [before, after]) {
      const types = (await store.readStream(`volume-${volumeId}`)).map((e) => e.envelope.type);
      expect(types).toEqual(['VolumeCreationRequested', 'VolumeCreated']);
      expect(sameBytes(await readFile(path.join(dir, 'file-rec', `vol-${volumeId}.raw`)), expected)).toBe(true);
    }
  });

  /** A vendor pool: clone made, attachable with the snapshot's bytes, and the refusals. */
  async function vendorClone(poolId: string, otherPoolId: string, sizeBytes: number, tooSmall: number): Promise<{ sourceId: string; cloneId: string }> {
    const source = await createVolume(poolId, sizeBytes);
    const device = await attach(source.volumeId);
    const before = marker('vendor snapshot ');
    await writeAt(device, 0, before);
    await detach(source.volumeId);
    const snap = await snapshot(poolId, source.backendName);
    const again = await attach(source.volumeId);
    await writeAt(again, 0, marker('written after '));
    await detach(source.volumeId);

    const fromSnapshot = { snapshotId: snap.snapshotId, volumeId: source.volumeId };
    const cloneId = randomUUID();
    const created = await outcome(await send('CreateVolume', cloneId, { name: 'vendor-clone', poolId, sizeBytes, fromSnapshot }));
    expect(created).toMatchObject({ type: 'VolumeCreated', data: { poolId, sizeBytes } });
    const cloneDevice = await attach(cloneId);
    expect(sameBytes(await readAt(cloneDevice, 0, before.length), before)).toBe(true);
    await detach(cloneId);

    const refuse = async (data: Record<string, unknown>) => rejection(await outcome(await send('CreateVolume', randomUUID(), { name: 'refused', poolId, sizeBytes, fromSnapshot, ...data })));
    expect(await refuse({ fromSnapshot: { ...fromSnapshot, snapshotId: randomUUID() } })).toMatchObject({
      error: { code: 'volume.snapshot_not_found' },
      violations: [{ field: 'data.fromSnapshot.snapshotId' }],
    });
    expect(await refuse({ poolId: otherPoolId })).toMatchObject({ error: { code: 'volume.clone_other_pool' }, violations: [{ field: 'data.poolId' }] });
    expect(await refuse({ sizeBytes: tooSmall })).toMatchObject({ error: { code: 'volume.size_below_snapshot' }, violations: [{ field: 'data.sizeBytes' }] });
    return { sourceId: source.volumeId, cloneId };
  }

  it('on PowerFlex: the clone (in the source VTree) is made and attachable; the source cannot be deleted while it lives, and can once it is gone', async () => {
    // deviceDir: where the simulator shows a mapped volume to the SDC, so the test reads and writes it.
    const pfPool = (name: string, storagePool: string) =>
      addPool(name, {
        plugin: 'powerflex',
        config: { gatewayUrl: powerflex.url, username: powerflex.username, password: powerflex.password, storagePool, deviceDir: powerflex.deviceDirTemplate },
      });
    const poolId = await pfPool('clone-pf', 'pool1');
    const otherPool = await pfPool('clone-pf-2', 'pool2');
    const { sourceId, cloneId } = await vendorClone(poolId, otherPool, 8 * GiB, 4 * GiB);

    const refused = await outcome(await send('DeleteVolume', sourceId, { deleteSnapshots: true }));
    expect(refused).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'volume.has_clones', message: expect.stringContaining('delete those volumes first') } } });
    // A VTree migration would take the other volume along: neither moves natively while they share the tree.
    for (const volumeId of [sourceId, cloneId]) {
      expect(await outcome(await send('MigrateVolume', volumeId, { destinationPoolId: otherPool }))).toMatchObject({
        type: 'CommandRejected',
        data: { error: { code: 'volume.tree_shared' } },
      });
    }
    // The clone itself is deleted alone (its VTree's source and snapshots are not its own).
    expect(await outcome(await send('DeleteVolume', cloneId, {}))).toMatchObject({ type: 'VolumeDeleted' });
    expect(await outcome(await send('DeleteVolume', sourceId, { deleteSnapshots: true }))).toMatchObject({ type: 'VolumeDeleted' });
    expect(await outcome(await send('DeleteStoragePool', poolId, {}))).toMatchObject({ type: 'StoragePoolDeleted' });
  });

  it('on LINSTOR: the clone is made and attachable, with the refusals', async () => {
    const { port } = new URL(linstor.url);
    const poolId = await addPool('clone-ls', { plugin: 'linstor', url: `linstor://127.0.0.1:${port}/strata-rg` });
    const otherPool = await addPool('clone-ls-other', { plugin: 'file', config: { path: path.join(dir, 'ls-other') } });
    const { cloneId } = await vendorClone(poolId, otherPool, 16 * MiB, 8 * MiB);
    expect(await outcome(await send('DeleteVolume', cloneId, {}))).toMatchObject({ type: 'VolumeDeleted' });
  });

  it('on StorPool: the clone is made and attachable, with the refusals', async () => {
    const poolId = await addPool('clone-sp', {
      plugin: 'storpool',
      config: { host: '127.0.0.1', port: storpool.port, authToken: 'sp-clone-token', template: 'nvme', devicePath: storpool.devicePathTemplate },
    });
    const otherPool = await addPool('clone-sp-other', { plugin: 'file', config: { path: path.join(dir, 'sp-other') } });
    const { cloneId } = await vendorClone(poolId, otherPool, 16 * MiB, 8 * MiB);
    expect(await outcome(await send('DeleteVolume', cloneId, {}))).toMatchObject({ type: 'VolumeDeleted' });
  });
});
