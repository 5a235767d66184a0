import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Envelope } from '@strata/contracts';
import { startStorPoolSimulator, type StorPoolSimulator } from '@strata/backends';
import { DriverRegistry } from '@strata/pool-access';
import { PgEventStore } from '@strata/event-store';
import { VolumeRecovery } from './volumes/application/volume-recovery';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

const run = promisify(execFile);
const MiB = 2 ** 20;

/** Buffer.equals, not toEqual: jest compares buffers byte by byte in JS. */
const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && a.equals(b);
const allZero = (b: Buffer) => b.every((x) => x === 0);
const marker = (text: string) => Buffer.from(text.repeat(4096).slice(0, 4096));

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

/**
 * CreateVolume with fromImage: a QCOW2 made here with qemu-img is written onto a new volume
 * through the data mover host (file pool and StorPool simulator); the volume holds the
 * image's guest bytes, then zeros. Refusals name the field to fix; a crash after the intent
 * is finished by recovery with the same bytes.
 */
describe('volumes made from disk images', () => {
  let h: StorageHarness;
  let dir: string;
  let storpool: StorPoolSimulator;
  let moverId: string;
  let image: string;
  /** The image's guest bytes (qemu-img convert -O raw of it). */
  let expected: Buffer;
  const VIRTUAL = 12 * MiB;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const outcome = (commandId: string) => h.outcome(commandId);
  const rejection = (event: Envelope) => event.data as { error: { code: string; message: string }; violations?: { field: string }[] };

  async function addPool(name: string, settings: Record<string, unknown>): Promise<string> {
    const poolId = randomUUID();
    expect(await outcome(await send('AddStoragePool', poolId, { name, zoneId: 'z1', ...settings }))).toMatchObject({ type: 'StoragePoolAdded' });
    return poolId;
  }

  /** The volume's first `length` bytes, read through an attach to the data mover host (a vendor pool's device). */
  async function bytesThroughAttach(volumeId: string, length: number): Promise<Buffer> {
    const attached = await outcome(await send('AttachVolume', volumeId, { hostId: moverId }));
    expect(attached).toMatchObject({ type: 'VolumeAttached' });
    const bytes = await readAt((attached.data as { devicePath: string }).devicePath, 0, length);
    expect(await outcome(await send('DetachVolume', volumeId, { hostId: moverId }))).toMatchObject({ type: 'VolumeDetached' });
    return bytes;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-image-'));
    // A raw disk with recognisable bytes at several offsets (the rest holes), then a QCOW2 of it.
    const raw = path.join(dir, 'source.raw');
    await writeFile(raw, Buffer.alloc(0));
    const handle = await open(raw, 'r+');
    await handle.truncate(VIRTUAL);
    await handle.close();
    await writeAt(raw, 0, marker('boot sector '));
    await writeAt(raw, 5 * MiB + 17, marker('in the middle '));
    await writeAt(raw, VIRTUAL - 4096, marker('at the very end '));
    image = path.join(dir, 'template.qcow2');
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, image]);
    const back = path.join(dir, 'back.raw');
    await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', image, back]);
    expected = await readFile(back);
    expect(expected.length).toBe(VIRTUAL);

    storpool = await startStorPoolSimulator({ port: 0, dataDir: path.join(dir, 'storpool'), authToken: 'sp-image-token' });
    h = await startStorageHarness('from-image');
    moverId = randomUUID();
    expect(
      await outcome(await send('RegisterHost', moverId, { name: 'data-mover', zoneId: 'z1', hypervisor: 'kvm', identities: { storpoolClientId: 1 } })),
    ).toMatchObject({ type: 'HostRegistered' });
  });

  afterAll(async () => {
    await h?.close();
    await storpool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("on a file pool: the volume holds the image's guest bytes, then zeros, and the data mover's access is revoked", async () => {
    const poolId = await addPool('image-file', { plugin: 'file', config: { path: path.join(dir, 'file') } });
    const volumeId = randomUUID();
    const create = await send('CreateVolume', volumeId, {
      name: 'from-image',
      poolId,
      sizeBytes: 16 * MiB,
      volumeType: 'ROOT',
      fromImage: { path: image, format: 'qcow2', dataMoverHostId: moverId },
    });
    const requested = await h.eventFor('VolumeCreationRequested', create);
    expect(requested.data).toMatchObject({ poolId, sizeBytes: 16 * MiB, volumeType: 'ROOT', image: { path: image, format: 'qcow2', dataMoverHostId: moverId } });
    const created = await outcome(create);
    expect(created).toMatchObject({ type: 'VolumeCreated', data: { poolId, sizeBytes: 16 * MiB } });
    const bytes = await readFile((created.data as { path: string }).path);
    expect(bytes.length).toBe(16 * MiB);
    expect(sameBytes(bytes.subarray(0, VIRTUAL), expected)).toBe(true);
    expect(allZero(bytes.subarray(VIRTUAL))).toBe(true);
    // Sparse: only the image's few written blocks take space, not its zeros.
    expect((await stat((created.data as { path: string }).path)).blocks * 512).toBeLessThan(2 * MiB);
    // Nothing left granted: the volume deletes without a detach.
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted' });
  });

  it('refuses a size below the virtual size, an unreadable path and an unknown data mover, naming each field; nothing is made', async () => {
    const poolId = await addPool('image-file-refusals', { plugin: 'file', config: { path: path.join(dir, 'file-r') } });
    const request = (over: Record<string, unknown> = {}, fromImage: Record<string, unknown> = {}) => ({
      name: 'refused',
      poolId,
      sizeBytes: 16 * MiB,
      ...over,
      fromImage: { path: image, format: 'qcow2', dataMoverHostId: moverId, ...fromImage },
    });
    const small = rejection(await outcome(await send('CreateVolume', randomUUID(), request({ sizeBytes: 8 * MiB }))));
    expect(small).toMatchObject({ error: { code: 'volume.size_below_image' }, violations: [{ field: 'data.sizeBytes' }] });
    const missing = rejection(await outcome(await send('CreateVolume', randomUUID(), request({}, { path: path.join(dir, 'no-such.qcow2') }))));
    expect(missing).toMatchObject({ error: { code: 'volume.image_unreadable' }, violations: [{ field: 'data.fromImage.path' }] });
    // A raw file is not a QCOW2: the format given is the one read.
    const notQcow = rejection(await outcome(await send('CreateVolume', randomUUID(), request({}, { path: path.join(dir, 'back.raw') }))));
    expect(notQcow).toMatchObject({ error: { code: 'volume.image_unreadable' }, violations: [{ field: 'data.fromImage.path' }] });
    const unknown = rejection(await outcome(await send('CreateVolume', randomUUID(), request({}, { dataMoverHostId: randomUUID() }))));
    expect(unknown).toMatchObject({ error: { code: 'host.not_found' }, violations: [{ field: 'data.fromImage.dataMoverHostId' }] });
    // None named and no STRATA_DATA_MOVER_HOST_ID: nobody to write the image.
    const { dataMoverHostId: _named, ...unnamed } = request().fromImage;
    const saved = process.env.STRATA_DATA_MOVER_HOST_ID;
    delete process.env.STRATA_DATA_MOVER_HOST_ID;
    try {
      const none = rejection(await outcome(await send('CreateVolume', randomUUID(), { ...request(), fromImage: unnamed })));
      expect(none).toMatchObject({ error: { code: 'volume.data_mover_required' }, violations: [{ field: 'data.fromImage.dataMoverHostId' }] });
    } finally {
      if (saved !== undefined) process.env.STRATA_DATA_MOVER_HOST_ID = saved;
    }
    // Nothing holds the pool: it deletes.
    expect(await outcome(await send('DeleteStoragePool', poolId, {}))).toMatchObject({ type: 'StoragePoolDeleted' });
  });

  it('on StorPool: the image is written through the data mover mapping; the volume reads back the same bytes', async () => {
    const poolId = await addPool('image-sp', {
      plugin: 'storpool',
      config: { host: '127.0.0.1', port: storpool.port, authToken: 'sp-image-token', template: 'nvme', devicePath: storpool.devicePathTemplate },
    });
    const volumeId = randomUUID();
    const created = await outcome(
      await send('CreateVolume', volumeId, { name: 'sp-from-image', poolId, sizeBytes: 16 * MiB, volumeType: 'ROOT', fromImage: { path: image, format: 'qcow2', dataMoverHostId: moverId } }),
    );
    expect(created).toMatchObject({ type: 'VolumeCreated', data: { poolId } });
    const size = (created.data as { sizeBytes: number }).sizeBytes;
    const bytes = await bytesThroughAttach(volumeId, size);
    expect(sameBytes(bytes.subarray(0, VIRTUAL), expected)).toBe(true);
    expect(allZero(bytes.subarray(VIRTUAL))).toBe(true);
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted' });
  });

  it('recovery finishes a creation a crash interrupted after the intent, before or after the backend object was made, with the right bytes', async () => {
    const poolId = await addPool('image-file-recovery', { plugin: 'file', config: { path: path.join(dir, 'file-rec') } });
    const store = h.app.get(PgEventStore);
    const added = h.events.find((e) => e.type === 'StoragePoolAdded' && e.aggregateId === poolId)?.data as { plugin: string; config: Record<string, unknown> };
    const driver = await h.app.get(DriverRegistry).forPool({ poolId, ...added });
    const crashed = async (made: boolean): Promise<string> => {
      const volumeId = randomUUID();
      const backendName = `vol-${volumeId}`;
      await store.append(`volume-${volumeId}`, 0, [
        {
          messageId: randomUUID(),
          type: 'VolumeCreationRequested',
          schemaVersion: 1,
          aggregateId: volumeId,
          occurredAt: new Date(Date.now() - 60_000).toISOString(),
          correlationId: 'image-crash',
          causationId: randomUUID(),
          tenant: null,
          data: {
            volumeId,
            name: 'crashed',
            poolId,
            sizeBytes: 16 * MiB,
            volumeType: 'ROOT',
            backendName,
            provisioning: 'thin',
            qos: null,
            allocation: null,
            image: { path: image, format: 'qcow2', dataMoverHostId: moverId },
          },
        },
      ]);
      if (made) {
        // Made, and half written with something else: the conversion writes the whole image again.
        const object = await driver.createVolume({ name: backendName, sizeBytes: 16 * MiB, thin: true });
        await writeAt(object.path as string, 0, marker('stale '));
        await writeAt(object.path as string, 9 * MiB, marker('stale '));
      }
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
      const bytes = await readFile(path.join(dir, 'file-rec', `vol-${volumeId}.raw`));
      expect(sameBytes(bytes.subarray(0, VIRTUAL), expected)).toBe(true);
      expect(allZero(bytes.subarray(VIRTUAL))).toBe(true);
    }
  });

  it('a conversion that fails (the image gone after the intent) ends in VolumeCreationFailed and removes the object', async () => {
    const poolId = await addPool('image-file-fail', { plugin: 'file', config: { path: path.join(dir, 'file-fail') } });
    const doomed = path.join(dir, 'doomed.qcow2');
    await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'qcow2', image, doomed]);
    const store = h.app.get(PgEventStore);
    const volumeId = randomUUID();
    await store.append(`volume-${volumeId}`, 0, [
      {
        messageId: randomUUID(),
        type: 'VolumeCreationRequested',
        schemaVersion: 1,
        aggregateId: volumeId,
        occurredAt: new Date(Date.now() - 60_000).toISOString(),
        correlationId: 'image-fail',
        causationId: randomUUID(),
        tenant: null,
        data: {
          volumeId,
          name: 'doomed',
          poolId,
          sizeBytes: 16 * MiB,
          volumeType: 'ROOT',
          backendName: `vol-${volumeId}`,
          provisioning: 'thin',
          qos: null,
          allocation: null,
          image: { path: doomed, format: 'qcow2', dataMoverHostId: moverId },
        },
      },
    ]);
    await rm(doomed);
    await h.app.get(VolumeRecovery).sweep(0);
    const events = await store.readStream(`volume-${volumeId}`);
    expect(events.map((e) => e.envelope.type)).toEqual(['VolumeCreationRequested', 'VolumeCreationFailed']);
    expect(events[1].envelope.data).toMatchObject({ error: { code: 'volume.image_conversion_failed' } });
    await expect(readFile(path.join(dir, 'file-fail', `vol-${volumeId}.raw`))).rejects.toThrow(/ENOENT/);
  });
});
