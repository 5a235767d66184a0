import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPowerFlexSimulator, type PowerFlexSimulator } from '@strata/backends';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

/**
 * Hosts and the operations on a living volume (attach, detach, resize, QoS, delete while
 * attached) through Kafka, on a file pool and on a PowerFlex pool (simulator).
 */
describe('volume operations', () => {
  let h: StorageHarness;
  let dir: string;
  let sim: PowerFlexSimulator;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const outcome = (commandId: string) => h.outcome(commandId);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-volops-'));
    sim = await startPowerFlexSimulator({ port: 0, dataDir: path.join(dir, 'powerflex') });
    h = await startStorageHarness('volops');
  });

  afterAll(async () => {
    await h?.close();
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('attaches, resizes, detaches and deletes a volume on a file pool, refusing what the backend cannot do', async () => {
    const poolId = randomUUID();
    const poolDir = path.join(dir, 'file');
    expect(await outcome(await send('AddStoragePool', poolId, { name: 'f1', plugin: 'file', zoneId: 'z1', config: { path: poolDir } }))).toMatchObject({
      type: 'StoragePoolAdded',
    });
    const hostId = randomUUID();
    expect(await outcome(await send('RegisterHost', hostId, { name: 'kvm-01', zoneId: 'z1', hypervisor: 'kvm' }))).toMatchObject({
      type: 'HostRegistered',
    });
    const volumeId = randomUUID();
    const created = await outcome(await send('CreateVolume', volumeId, { name: 'v1', poolId, sizeBytes: 2 ** 20 }));
    const file = (created.data as { path: string }).path;

    const attached = await outcome(await send('AttachVolume', volumeId, { hostId }));
    expect(attached).toMatchObject({ type: 'VolumeAttached', data: { hostId, devicePath: file } });
    expect(await outcome(await send('AttachVolume', volumeId, { hostId }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.already_attached' } },
    });

    expect(await outcome(await send('ResizeVolume', volumeId, { sizeBytes: 4 * 2 ** 20 }))).toMatchObject({
      type: 'VolumeResized',
      data: { sizeBytes: 4 * 2 ** 20 },
    });
    expect((await stat(file)).size).toBe(4 * 2 ** 20);
    expect(await outcome(await send('ResizeVolume', volumeId, { sizeBytes: 2 ** 20 }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.shrink_not_allowed' }, violations: [{ field: 'data.allowShrink' }] },
    });
    expect(await outcome(await send('ResizeVolume', volumeId, { sizeBytes: 2 ** 20, allowShrink: true }))).toMatchObject({ type: 'VolumeResized' });
    expect((await stat(file)).size).toBe(2 ** 20);

    expect(await outcome(await send('ChangeVolumeQos', volumeId, { iops: 500 }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'volume.qos_unsupported' } },
    });
    expect(await outcome(await send('DeregisterHost', hostId, {}))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'host.has_volumes' } },
    });
    expect(await outcome(await send('DetachVolume', volumeId, { hostId }))).toMatchObject({ type: 'VolumeDetached' });
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted' });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await outcome(await send('DeregisterHost', hostId, {}))).toMatchObject({ type: 'HostDeregistered' });
  });

  it('maps a PowerFlex volume to the host SDC, sets QoS, and unmaps before deleting it while attached', async () => {
    const poolId = randomUUID();
    const { port } = new URL(sim.url);
    await outcome(
      await send('AddStoragePool', poolId, {
        name: 'pf1',
        plugin: 'powerflex',
        zoneId: 'z1',
        url: `powerflex://admin:${encodeURIComponent('Scaleio123!')}@127.0.0.1:${port}/pool1?protocol=http`,
      }),
    );
    const sdc = sim.sdcs[0];
    const noIdentity = randomUUID();
    await outcome(await send('RegisterHost', noIdentity, { name: 'kvm-x', zoneId: 'z1', hypervisor: 'kvm' }));
    const hostId = randomUUID();
    await outcome(await send('RegisterHost', hostId, { name: 'kvm-02', zoneId: 'z1', hypervisor: 'kvm', identities: { powerflexSdc: sdc.id } }));
    const volumeId = randomUUID();
    expect(await outcome(await send('CreateVolume', volumeId, { name: 'pv', poolId, sizeBytes: 2 ** 30 }))).toMatchObject({
      type: 'VolumeCreated',
      data: { sizeBytes: 8 * 2 ** 30 },
    });

    expect(await outcome(await send('AttachVolume', volumeId, { hostId: noIdentity }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'host.identity_missing', message: expect.stringContaining('powerflexSdc') } },
    });
    expect(await outcome(await send('AttachVolume', volumeId, { hostId }))).toMatchObject({ type: 'VolumeAttached' });
    expect(await outcome(await send('ChangeVolumeQos', volumeId, { iops: 1000, bandwidthBytesPerSecond: 10 * 2 ** 20 }))).toMatchObject({
      type: 'VolumeQosChanged',
      data: { qos: { iops: 1000, bandwidthBytesPerSecond: 10 * 2 ** 20 } },
    });
    expect(await outcome(await send('ResizeVolume', volumeId, { sizeBytes: 9 * 2 ** 30 }))).toMatchObject({
      type: 'VolumeResized',
      data: { sizeBytes: 16 * 2 ** 30 },
    });
    // The simulator refuses to remove a mapped volume: deleting succeeds only because it is unmapped first.
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted' });
  });
});
