import { randomUUID } from 'node:crypto';
import { access, mkdtemp, open, readFile, rm } from 'node:fs/promises';
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
import { eventually } from '@strata/testing';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

const MiB = 2 ** 20;

/** Writes recognisable bytes at a few offsets (the rest stays a hole) and returns them. */
async function plantPattern(device: string, sizeBytes: number): Promise<Buffer> {
  const expected = Buffer.alloc(sizeBytes);
  const handle = await open(device, 'r+');
  try {
    for (const offset of [0, 3 * MiB + 17, sizeBytes - 4096]) {
      const chunk = Buffer.from(`strata block at ${offset} `.repeat(100).slice(0, 4096));
      chunk.copy(expected, offset);
      await handle.write(chunk, 0, chunk.length, offset);
    }
  } finally {
    await handle.close();
  }
  return expected;
}

async function readHead(device: string, length: number): Promise<Buffer> {
  const handle = await open(device, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, 0);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** Buffer.equals, not toEqual: jest compares buffers byte by byte in JS, about 20 s for 8 MiB. */
const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && a.equals(b);

const exists = (file: string) => access(file).then(() => true, () => false);

/**
 * Volume migration through the storage service: block copy between file pools and across
 * two vendors (LINSTOR to StorPool) through a data-mover host, with the bytes compared;
 * native VTree migration between two PowerFlex storage pools with the volume attached;
 * and the refusals (no data mover, attached copy, same pool).
 */
describe('volume migration', () => {
  let h: StorageHarness;
  let dir: string;
  let powerflex: PowerFlexSimulator;
  let linstor: LinstorSimulator;
  let storpool: StorPoolSimulator;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const outcome = (commandId: string) => h.outcome(commandId);
  const eventsOf = (volumeId: string, type: string) => h.events.filter((e) => e.aggregateId === volumeId && e.type === type);

  async function filePool(name: string, zoneId = 'z1'): Promise<string> {
    const poolId = randomUUID();
    expect(await outcome(await send('AddStoragePool', poolId, { name, plugin: 'file', zoneId, config: { path: path.join(dir, name) } }))).toMatchObject({
      type: 'StoragePoolAdded',
    });
    return poolId;
  }

  async function host(name: string, identities: Record<string, unknown> = {}): Promise<string> {
    const hostId = randomUUID();
    expect(await outcome(await send('RegisterHost', hostId, { name, zoneId: 'z1', hypervisor: 'kvm', identities }))).toMatchObject({ type: 'HostRegistered' });
    return hostId;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-migration-'));
    powerflex = await startPowerFlexSimulator({ port: 0, dataDir: path.join(dir, 'powerflex'), migrationPolls: 2 });
    linstor = await startLinstorSimulator({ port: 0, dataDir: path.join(dir, 'linstor') });
    storpool = await startStorPoolSimulator({ port: 0, dataDir: path.join(dir, 'storpool'), authToken: 'sp-mig-token' });
    h = await startStorageHarness('migration');
  });

  afterAll(async () => {
    await h?.close();
    await powerflex?.close();
    await linstor?.close();
    await storpool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies a volume between file pools through the data mover, with progress, then deletes the source', async () => {
    const from = await filePool('mig-a');
    const to = await filePool('mig-b');
    const mover = await host('mover-1');
    const volumeId = randomUUID();
    const created = await outcome(await send('CreateVolume', volumeId, { name: 'm1', poolId: from, sizeBytes: 8 * MiB }));
    const sourceFile = (created.data as { path: string }).path;
    const expected = await plantPattern(sourceFile, 8 * MiB);

    const migrate = await send('MigrateVolume', volumeId, { destinationPoolId: to, dataMoverHostId: mover });
    const requested = await h.eventFor('VolumeMigrationRequested', migrate);
    expect(requested.data).toMatchObject({ poolId: from, toPoolId: to, mode: 'copy', dataMover: { hostId: mover } });
    const migrated = await outcome(migrate);
    expect(migrated).toMatchObject({ type: 'VolumeMigrated', data: { fromPoolId: from, toPoolId: to, mode: 'copy', sizeBytes: 8 * MiB } });
    const data = migrated.data as { backendName: string; sourceBackendName: string; path: string };
    // The copy has its own name: never the source's, even where two pools share one namespace.
    expect(data.backendName).not.toBe(data.sourceBackendName);
    expect(sameBytes(await readFile(data.path), expected)).toBe(true);

    const percents = eventsOf(volumeId, 'VolumeMigrationProgressed').map((e) => (e.data as { percent: number }).percent);
    // Recorded at each tenth passed, forward only (a batch of blocks may pass several at once).
    expect(percents.length).toBeGreaterThanOrEqual(2);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(percents).size).toBe(percents.length);
    expect(percents.at(-1)).toBe(100);
    await h.eventFor('VolumeMigrationSourceDeleted', migrate);
    expect(await exists(sourceFile)).toBe(false);

    // The volume lives on the destination now: the source pool holds nothing and can go.
    expect(await outcome(await send('DeleteStoragePool', from, {}))).toMatchObject({ type: 'StoragePoolDeleted' });
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted', data: { poolId: to } });
    expect(await exists(data.path)).toBe(false);
  });

  it('picks the destination by allocation when none is named', async () => {
    const from = await filePool('alloc-a', 'z-alloc');
    const to = await filePool('alloc-b', 'z-alloc');
    const mover = randomUUID();
    await outcome(await send('RegisterHost', mover, { name: 'mover-alloc', zoneId: 'z-alloc', hypervisor: 'kvm' }));
    const volumeId = randomUUID();
    await outcome(await send('CreateVolume', volumeId, { name: 'a1', poolId: from, sizeBytes: MiB }));
    const migrated = await outcome(await send('MigrateVolume', volumeId, { dataMoverHostId: mover }));
    expect(migrated).toMatchObject({ type: 'VolumeMigrated', data: { fromPoolId: from, toPoolId: to } });
    const requested = eventsOf(volumeId, 'VolumeMigrationRequested')[0];
    expect(requested.data).toMatchObject({ allocation: { policy: 'first-fit', candidates: [{ poolId: to, fits: true }] } });
  });

  it('refuses what it cannot do, naming why', async () => {
    const from = await filePool('ref-a');
    const to = await filePool('ref-b');
    const user = await host('kvm-ref');
    const volumeId = randomUUID();
    await outcome(await send('CreateVolume', volumeId, { name: 'r1', poolId: from, sizeBytes: MiB }));
    expect(await outcome(await send('MigrateVolume', volumeId, { destinationPoolId: to }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.data_mover_required' }, violations: [{ field: 'data.dataMoverHostId' }] },
    });
    expect(await outcome(await send('MigrateVolume', volumeId, { destinationPoolId: from, dataMoverHostId: user }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.same_pool' } },
    });
    await outcome(await send('AttachVolume', volumeId, { hostId: user }));
    expect(await outcome(await send('MigrateVolume', volumeId, { destinationPoolId: to, dataMoverHostId: user }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.copy_needs_detach', message: expect.stringContaining('detach it first') } },
    });
    expect(await outcome(await send('MigrateVolume', randomUUID(), { destinationPoolId: to, dataMoverHostId: user }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.not_found' } },
    });
  });

  it('moves an attached PowerFlex volume natively to another storage pool of the same system, keeping it attached', async () => {
    const { port } = new URL(powerflex.url);
    const pool = async (name: string, storagePool: string) => {
      const poolId = randomUUID();
      const added = await outcome(
        await send('AddStoragePool', poolId, {
          name,
          plugin: 'powerflex',
          zoneId: 'z1',
          url: `powerflex://${powerflex.username}:${encodeURIComponent(powerflex.password)}@127.0.0.1:${port}/${storagePool}?protocol=http`,
        }),
      );
      expect(added).toMatchObject({ type: 'StoragePoolAdded' });
      return poolId;
    };
    const from = await pool('pf-1', 'pool1');
    const to = await pool('pf-2', 'pool2');
    const hostId = await host('kvm-pf', { powerflexSdc: powerflex.sdcs[0].ip });
    const volumeId = randomUUID();
    expect(await outcome(await send('CreateVolume', volumeId, { name: 'pfm', poolId: from, sizeBytes: 8 * 2 ** 30 }))).toMatchObject({ type: 'VolumeCreated' });
    expect(await outcome(await send('AttachVolume', volumeId, { hostId }))).toMatchObject({ type: 'VolumeAttached' });

    const migrate = await send('MigrateVolume', volumeId, { destinationPoolId: to });
    expect((await h.eventFor('VolumeMigrationRequested', migrate)).data).toMatchObject({ mode: 'native', nativeTarget: 'pool2', dataMover: null });
    const migrated = await outcome(migrate);
    expect(migrated).toMatchObject({ type: 'VolumeMigrated', data: { fromPoolId: from, toPoolId: to, mode: 'native' } });
    const data = migrated.data as { backendName: string; sourceBackendName: string };
    expect(data.backendName).toBe(data.sourceBackendName);
    // Nothing to delete after a native move.
    expect(eventsOf(volumeId, 'VolumeMigrationSourceDeleted')).toEqual([]);

    // Still attached: the host's mapping moved with the tree; detach and delete work on the new pool.
    expect(await outcome(await send('DetachVolume', volumeId, { hostId }))).toMatchObject({ type: 'VolumeDetached' });
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted', data: { poolId: to } });
    expect(await outcome(await send('DeleteStoragePool', from, {}))).toMatchObject({ type: 'StoragePoolDeleted' });
  });

  it('copies a LINSTOR volume onto a StorPool pool through a host known to both, bytes intact', async () => {
    const { port } = new URL(linstor.url);
    const from = randomUUID();
    await outcome(await send('AddStoragePool', from, { name: 'ls-mig', plugin: 'linstor', zoneId: 'z1', url: `linstor://127.0.0.1:${port}/strata-rg` }));
    const to = randomUUID();
    await outcome(
      await send('AddStoragePool', to, {
        name: 'sp-mig',
        plugin: 'storpool',
        zoneId: 'z1',
        config: { host: '127.0.0.1', port: storpool.port, authToken: 'sp-mig-token', template: 'nvme', devicePath: storpool.devicePathTemplate },
      }),
    );
    const mover = await host('mover-vendors', { linstorNode: 'node3', storpoolClientId: 1 });
    const volumeId = randomUUID();
    expect(await outcome(await send('CreateVolume', volumeId, { name: 'x1', poolId: from, sizeBytes: 16 * MiB }))).toMatchObject({ type: 'VolumeCreated' });
    // Write through the volume's device on the mover, as a VM would have.
    const attached = await outcome(await send('AttachVolume', volumeId, { hostId: mover }));
    const expected = await plantPattern((attached.data as { devicePath: string }).devicePath, 16 * MiB);
    await outcome(await send('DetachVolume', volumeId, { hostId: mover }));

    const migrate = await send('MigrateVolume', volumeId, { destinationPoolId: to, dataMoverHostId: mover });
    expect(await outcome(migrate)).toMatchObject({ type: 'VolumeMigrated', data: { toPoolId: to, mode: 'copy' } });
    await h.eventFor('VolumeMigrationSourceDeleted', migrate);

    const reattached = await outcome(await send('AttachVolume', volumeId, { hostId: mover }));
    const device = (reattached.data as { devicePath: string }).devicePath;
    expect(sameBytes(await readHead(device, 16 * MiB), expected)).toBe(true);
    await outcome(await send('DetachVolume', volumeId, { hostId: mover }));
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted' });
  });

  it('moves every volume off a pool entering maintenance, refuses new volumes there, and cancels back', async () => {
    const closing = await filePool('mnt-a', 'z-mnt');
    const target = await filePool('mnt-b', 'z-mnt');
    const mover = randomUUID();
    await outcome(await send('RegisterHost', mover, { name: 'mover-mnt', zoneId: 'z-mnt', hypervisor: 'kvm' }));
    const volumes = [randomUUID(), randomUUID()];
    for (const [i, volumeId] of volumes.entries()) {
      await outcome(await send('CreateVolume', volumeId, { name: `mv${i}`, poolId: closing, sizeBytes: 2 * MiB }));
    }

    const enter = await send('EnterPoolMaintenance', closing, { dataMoverHostId: mover });
    const requested = await h.eventFor('PoolMaintenanceRequested', enter);
    expect((requested.data as { moves: unknown[] }).moves).toEqual(volumes.map((volumeId) => ({ volumeId, destinationPoolId: target, mode: 'copy' })));
    expect(await outcome(enter)).toMatchObject({ type: 'PoolMaintenanceEntered', data: { poolId: closing } });
    for (const volumeId of volumes) {
      expect(eventsOf(volumeId, 'VolumeMigrated')).toMatchObject([{ data: { fromPoolId: closing, toPoolId: target } }]);
    }
    expect(await outcome(await send('CreateVolume', randomUUID(), { name: 'late', poolId: closing, sizeBytes: MiB }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'pool.in_maintenance' } },
    });
    expect(await outcome(await send('EnableStoragePool', closing, {}))).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'pool.in_maintenance' } } });

    expect(await outcome(await send('CancelPoolMaintenance', closing, {}))).toMatchObject({ type: 'PoolMaintenanceCancelled', data: { restoredStatus: 'enabled' } });
    expect(await outcome(await send('CreateVolume', randomUUID(), { name: 'back', poolId: closing, sizeBytes: MiB }))).toMatchObject({ type: 'VolumeCreated' });
  });

  it('refuses maintenance with the reason for each volume that cannot move', async () => {
    const closing = await filePool('mnt-ref', 'z-ref');
    const user = randomUUID();
    await outcome(await send('RegisterHost', user, { name: 'kvm-mnt', zoneId: 'z-ref', hypervisor: 'kvm' }));
    const attachedVolume = randomUUID();
    await outcome(await send('CreateVolume', attachedVolume, { name: 'att', poolId: closing, sizeBytes: MiB }));
    await outcome(await send('AttachVolume', attachedVolume, { hostId: user }));

    const rejected = await outcome(await send('EnterPoolMaintenance', closing, { dataMoverHostId: user }));
    expect(rejected).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'pool.cannot_evacuate' } } });
    const details = (rejected as Envelope<string, { details: { volumes: { volumeId: string; reason: string }[] } }>).data.details;
    // Alone in its zone, the volume has nowhere to go (and is attached, which a copy cannot follow).
    expect(details.volumes).toEqual([{ volumeId: attachedVolume, reason: expect.stringMatching(/no storage pool|attached/) }]);
    await eventually('the pool still open', async () => {
      const created = await outcome(await send('CreateVolume', randomUUID(), { name: 'still-open', poolId: closing, sizeBytes: MiB }));
      return created.type === 'VolumeCreated' ? created : undefined;
    });
  });
});
