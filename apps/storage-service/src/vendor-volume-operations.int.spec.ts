import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLinstorSimulator, startStorPoolSimulator, type LinstorSimulator, type StorPoolSimulator } from '@strata/backends';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

/**
 * Attach, resize, QoS and detach through the storage service on the LINSTOR and StorPool
 * simulators, each host named by its identity on that backend (LINSTOR node, StorPool client).
 */
describe('volume operations on the LINSTOR and StorPool simulators', () => {
  let h: StorageHarness;
  let dir: string;
  let linstor: LinstorSimulator;
  let storpool: StorPoolSimulator;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const outcome = (commandId: string) => h.outcome(commandId);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-vendorops-'));
    linstor = await startLinstorSimulator({ port: 0, dataDir: path.join(dir, 'linstor') });
    storpool = await startStorPoolSimulator({ port: 0, dataDir: path.join(dir, 'storpool'), authToken: 'sp-ops-token' });
    h = await startStorageHarness('vendorops');
  });

  afterAll(async () => {
    await h?.close();
    await linstor?.close();
    await storpool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('attaches a LINSTOR volume to the host node (diskless), grows it, and detaches it', async () => {
    const poolId = randomUUID();
    const { port } = new URL(linstor.url);
    expect(await outcome(await send('AddStoragePool', poolId, { name: 'ls', plugin: 'linstor', zoneId: 'z1', url: `linstor://127.0.0.1:${port}/strata-rg` }))).toMatchObject({
      type: 'StoragePoolAdded',
    });
    const hostId = randomUUID();
    await outcome(await send('RegisterHost', hostId, { name: 'kvm-ls', zoneId: 'z1', hypervisor: 'kvm', identities: { linstorNode: 'node3' } }));
    const volumeId = randomUUID();
    expect(await outcome(await send('CreateVolume', volumeId, { name: 'lv', poolId, sizeBytes: 64 * 2 ** 20 }))).toMatchObject({ type: 'VolumeCreated' });
    const attached = await outcome(await send('AttachVolume', volumeId, { hostId }));
    expect(attached).toMatchObject({ type: 'VolumeAttached', data: { hostId } });
    expect((await stat((attached.data as { devicePath: string }).devicePath)).size).toBe(64 * 2 ** 20);
    expect(await outcome(await send('ResizeVolume', volumeId, { sizeBytes: 128 * 2 ** 20 }))).toMatchObject({
      type: 'VolumeResized',
      data: { sizeBytes: 128 * 2 ** 20 },
    });
    expect(await outcome(await send('ChangeVolumeQos', volumeId, { iops: 2000 }))).toMatchObject({ type: 'VolumeQosChanged' });
    expect(await outcome(await send('DetachVolume', volumeId, { hostId }))).toMatchObject({ type: 'VolumeDetached' });
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted' });
  });

  it('attaches a StorPool volume to the host client, sets a QoS tier, and deletes it while attached', async () => {
    const poolId = randomUUID();
    expect(
      await outcome(
        await send('AddStoragePool', poolId, {
          name: 'sp',
          plugin: 'storpool',
          zoneId: 'z1',
          config: { host: '127.0.0.1', port: storpool.port, authToken: 'sp-ops-token', template: 'nvme', devicePath: storpool.devicePathTemplate },
        }),
      ),
    ).toMatchObject({ type: 'StoragePoolAdded', data: { config: { authToken: '***' } } });
    const hostId = randomUUID();
    await outcome(await send('RegisterHost', hostId, { name: 'kvm-sp', zoneId: 'z1', hypervisor: 'kvm', identities: { storpoolClientId: 1 } }));
    const volumeId = randomUUID();
    expect(await outcome(await send('CreateVolume', volumeId, { name: 'spv', poolId, sizeBytes: 32 * 2 ** 20 }))).toMatchObject({ type: 'VolumeCreated' });
    expect(await outcome(await send('AttachVolume', volumeId, { hostId }))).toMatchObject({ type: 'VolumeAttached' });
    expect(await outcome(await send('ChangeVolumeQos', volumeId, { tier: 'gold' }))).toMatchObject({
      type: 'VolumeQosChanged',
      data: { qos: { tier: 'gold' } },
    });
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted' });
  });
});
