import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startLinstorSimulator,
  startPowerFlexSimulator,
  startStorPoolSimulator,
  type LinstorSimulator,
  type PowerFlexSimulator,
  type StorPoolSimulator,
} from '@strata/backends';
import { capable } from '@strata/plugin-sdk';
import { startSnapshotHarness, type SnapshotHarness, type TestPool, type TestVolume } from './testing/snapshot-harness.spec';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Reads or writes the first MiB of a volume through its device (the simulators back each volume with a sparse file). */
async function onDevice(devicePath: string, write?: Buffer): Promise<Buffer> {
  const handle = await open(devicePath, 'r+');
  try {
    if (write) await handle.write(write, 0, write.length, 0);
    const out = Buffer.alloc(MiB);
    await handle.read(out, 0, MiB, 0);
    return out;
  } finally {
    await handle.close();
  }
}

interface Requested {
  groupName: string;
  members: { volumeId: string; snapshotBackendName: string }[];
}

/**
 * VM (group) snapshots through the snapshot service on the vendor simulators: a PowerFlex
 * consistency group (names within 31 characters, two storage pools of one gateway allowed, two
 * gateways refused), a LINSTOR multi-resource snapshot (revert only while it is every member's
 * newest) and a StorPool group snapshot; and the refusal of a VM across a file and a LINSTOR pool.
 */
describe('VM snapshots on the vendor simulators', () => {
  let h: SnapshotHarness;
  let dir: string;
  let powerflex: PowerFlexSimulator;
  let otherPowerflex: PowerFlexSimulator;
  let linstor: LinstorSimulator;
  let storpool: StorPoolSimulator;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-vvmsnap-'));
    powerflex = await startPowerFlexSimulator({ port: 0, dataDir: path.join(dir, 'powerflex') });
    otherPowerflex = await startPowerFlexSimulator({ port: 0, dataDir: path.join(dir, 'powerflex2') });
    linstor = await startLinstorSimulator({ port: 0, dataDir: path.join(dir, 'linstor') });
    storpool = await startStorPoolSimulator({ port: 0, dataDir: path.join(dir, 'storpool'), authToken: 'sp-vm-token' });
    h = await startSnapshotHarness('vvmsnap');
  });

  afterAll(async () => {
    await h?.close();
    await powerflex?.close();
    await otherPowerflex?.close();
    await linstor?.close();
    await storpool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Takes a VM snapshot of the volumes and returns its id and member snapshot names, in the volumes' order. */
  const vmSnapshot = async (volumes: readonly TestVolume[], name: string): Promise<{ vmSnapshotId: string; requested: Requested }> => {
    const vmSnapshotId = randomUUID();
    const command = await h.send('CreateVmSnapshot', vmSnapshotId, { vmId: `vm-${name}`, volumeIds: volumes.map((v) => v.volumeId), name });
    const requested = (await h.eventFor('VmSnapshotRequested', command)).data as Requested;
    expect(await h.outcome(command)).toMatchObject({ type: 'VmSnapshotCreated', data: { vmSnapshotId } });
    return { vmSnapshotId, requested };
  };
  const backendSnapshots = async (pool: TestPool, volume: TestVolume) =>
    (await capable(await h.driver(pool), 'snapshot').listSnapshots(volume.backendName)).map((s) => s.name);

  describe('PowerFlex', () => {
    let pool: TestPool;
    const addPowerFlexPool = (sim: PowerFlexSimulator, storagePool: string) =>
      h.addPool('powerflex', { gatewayUrl: sim.url, username: sim.username, password: sim.password, storagePool, deviceDir: sim.deviceDirTemplate });
    beforeAll(async () => {
      pool = await addPowerFlexPool(powerflex, 'pool1');
    });

    it('takes a consistency-group snapshot named within 31 characters, reverts both volumes to their bytes and deletes the group', async () => {
      const [a, b] = [await h.createVolume(pool, 8 * GiB), await h.createVolume(pool, 8 * GiB)];
      const driver = await h.driver(pool);
      const sdc = powerflex.sdcs[0].id;
      const originals: Buffer[] = [];
      for (const v of [a, b]) {
        const { devicePath } = await driver.grantAccess(v.backendName, sdc);
        originals.push(await onDevice(devicePath, randomBytes(MiB)));
        await driver.revokeAccess(v.backendName, sdc);
      }

      const { vmSnapshotId, requested } = await vmSnapshot([a, b], 'pf');
      // `vmsnap-<id>-<pool key>-<inst>` leaves PowerFlex too little room for the id: the group is named like a snapshot.
      expect(requested.groupName).toMatch(/^snap-/);
      for (const name of [requested.groupName, ...requested.members.map((m) => m.snapshotBackendName)]) expect(name.length).toBeLessThanOrEqual(31);
      expect(await backendSnapshots(pool, a)).toEqual([requested.members[0].snapshotBackendName]);
      expect(await backendSnapshots(pool, b)).toEqual([requested.members[1].snapshotBackendName]);

      for (const v of [a, b]) {
        const { devicePath } = await driver.grantAccess(v.backendName, sdc);
        await onDevice(devicePath, randomBytes(MiB));
        await driver.revokeAccess(v.backendName, sdc);
      }
      expect(await h.outcome(await h.send('RevertToVmSnapshot', vmSnapshotId, {}))).toMatchObject({ type: 'VmSnapshotReverted' });
      for (const [index, v] of [a, b].entries()) {
        const { devicePath } = await driver.grantAccess(v.backendName, sdc);
        expect((await onDevice(devicePath)).equals(originals[index])).toBe(true);
        await driver.revokeAccess(v.backendName, sdc);
      }

      expect(await h.outcome(await h.send('DeleteVmSnapshot', vmSnapshotId, {}))).toMatchObject({ type: 'VmSnapshotDeleted' });
      expect(await backendSnapshots(pool, a)).toEqual([]);
      expect(await backendSnapshots(pool, b)).toEqual([]);
    });

    it('groups volumes of two storage pools behind one gateway (one cluster), and refuses pools of two gateways, naming the clusters', async () => {
      const sibling = await addPowerFlexPool(powerflex, 'pool2');
      const [a, b] = [await h.createVolume(pool, 8 * GiB), await h.createVolume(sibling, 8 * GiB)];
      const { vmSnapshotId } = await vmSnapshot([a, b], 'pf2');
      expect(await h.outcome(await h.send('DeleteVmSnapshot', vmSnapshotId, {}))).toMatchObject({ type: 'VmSnapshotDeleted' });

      const elsewhere = await addPowerFlexPool(otherPowerflex, 'pool1');
      const c = await h.createVolume(elsewhere, 8 * GiB);
      const refused = await h.outcome(await h.send('CreateVmSnapshot', randomUUID(), { vmId: 'vm-x', volumeIds: [a.volumeId, c.volumeId], name: 'x' }));
      expect(refused).toMatchObject({
        type: 'CommandRejected',
        data: { error: { code: 'vmsnapshot.multiple_clusters', message: expect.stringContaining('on one backend cluster') } },
      });
      expect((refused.data as { error: { message: string } }).error.message).toContain(`${c.volumeId} (pool ${elsewhere.poolId} on cluster`);
    });
  });

  describe('LINSTOR', () => {
    let pool: TestPool;
    beforeAll(async () => {
      pool = await h.addPool('linstor', { controllerUrl: linstor.url, resourceGroup: 'strata-rg' });
    });

    it("takes a multi-resource snapshot, reverts while it is every member's newest, refuses naming the volume once one has a newer snapshot", async () => {
      const [a, b] = [await h.createVolume(pool, 64 * MiB), await h.createVolume(pool, 64 * MiB)];
      const { vmSnapshotId, requested } = await vmSnapshot([a, b], 'ls');
      expect(await backendSnapshots(pool, a)).toEqual([requested.members[0].snapshotBackendName]);
      expect(await backendSnapshots(pool, b)).toEqual([requested.members[1].snapshotBackendName]);
      expect(await h.outcome(await h.send('RevertToVmSnapshot', vmSnapshotId, {}))).toMatchObject({ type: 'VmSnapshotReverted' });

      // A volume snapshot of b after the group: the group is no longer b's newest, and LINSTOR rolls back only to the newest.
      const single = randomUUID();
      expect(await h.outcome(await h.send('CreateSnapshot', single, { volumeId: b.volumeId, name: 'later' }))).toMatchObject({ type: 'SnapshotCreated' });
      const refused = await h.outcome(await h.send('RevertToVmSnapshot', vmSnapshotId, {}));
      expect(refused).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'vmsnapshot.revert_not_latest' } } });
      const message = (refused.data as { error: { message: string } }).error.message;
      expect(message).toContain(`${b.volumeId} (newest is snap-${single})`);
      expect(message).not.toContain(a.volumeId);

      expect(await h.outcome(await h.send('DeleteSnapshot', single, {}))).toMatchObject({ type: 'SnapshotDeleted' });
      expect(await h.outcome(await h.send('RevertToVmSnapshot', vmSnapshotId, {}))).toMatchObject({ type: 'VmSnapshotReverted' });
      expect(await h.outcome(await h.send('DeleteVmSnapshot', vmSnapshotId, {}))).toMatchObject({ type: 'VmSnapshotDeleted' });
      expect(await backendSnapshots(pool, a)).toEqual([]);
      expect(await backendSnapshots(pool, b)).toEqual([]);
    });

    it('refuses a VM snapshot across a file pool and a LINSTOR pool, naming each volume with its backend', async () => {
      const filePool = await h.addPool('file', { path: path.join(dir, 'file') });
      const [f, l] = [await h.createVolume(filePool, MiB), await h.createVolume(pool, 64 * MiB)];
      const refused = await h.outcome(await h.send('CreateVmSnapshot', randomUUID(), { vmId: 'vm-mixed', volumeIds: [f.volumeId, l.volumeId], name: 'mixed' }));
      expect(refused).toMatchObject({
        type: 'CommandRejected',
        data: {
          error: {
            code: 'vmsnapshot.mixed_backends',
            message: expect.stringContaining(`live on different backends: ${f.volumeId} (Strata file, pool ${filePool.poolId}), ${l.volumeId} (LINBIT linstor, pool ${pool.poolId})`),
          },
        },
      });
    });
  });

  describe('StorPool', () => {
    let pool: TestPool;
    beforeAll(async () => {
      pool = await h.addPool('storpool', {
        host: '127.0.0.1',
        port: storpool.port,
        authToken: 'sp-vm-token',
        template: 'nvme',
        devicePath: storpool.devicePathTemplate,
      });
    });

    it('takes a group snapshot with the sealed token, reverts both volumes to their bytes and deletes the group', async () => {
      const [a, b] = [await h.createVolume(pool, 64 * MiB), await h.createVolume(pool, 64 * MiB)];
      const driver = await h.driver(pool);
      const originals: Buffer[] = [];
      for (const v of [a, b]) {
        const { devicePath } = await driver.grantAccess(v.backendName, '1');
        originals.push(await onDevice(devicePath, randomBytes(MiB)));
        await driver.revokeAccess(v.backendName, '1');
      }
      const { vmSnapshotId, requested } = await vmSnapshot([a, b], 'sp');
      expect(requested.groupName).toMatch(/^vmsnap-/);
      expect(await backendSnapshots(pool, a)).toEqual([requested.members[0].snapshotBackendName]);

      for (const [index, v] of [a, b].entries()) {
        const { devicePath } = await driver.grantAccess(v.backendName, '1');
        expect((await onDevice(devicePath, randomBytes(MiB))).equals(originals[index])).toBe(false);
        await driver.revokeAccess(v.backendName, '1');
      }
      expect(await h.outcome(await h.send('RevertToVmSnapshot', vmSnapshotId, {}))).toMatchObject({ type: 'VmSnapshotReverted' });
      for (const [index, v] of [a, b].entries()) {
        const { devicePath } = await driver.grantAccess(v.backendName, '1');
        expect((await onDevice(devicePath)).equals(originals[index])).toBe(true);
        await driver.revokeAccess(v.backendName, '1');
      }
      expect(await h.outcome(await h.send('DeleteVmSnapshot', vmSnapshotId, {}))).toMatchObject({ type: 'VmSnapshotDeleted' });
      expect(await backendSnapshots(pool, a)).toEqual([]);
      expect(await backendSnapshots(pool, b)).toEqual([]);
    });
  });
});
