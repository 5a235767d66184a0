import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Envelope } from '@strata/contracts';
import { startStorPoolSimulator, type StorPoolSimulator } from '@strata/backends';
import { PgEventStore } from '@strata/event-store';
import { VolumeExportRecovery } from './exports/application/volume-export-recovery';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

const run = promisify(execFile);
const MiB = 2 ** 20;
const marker = (text: string) => Buffer.from(text.repeat(4096).slice(0, 4096));

async function writeAt(file: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

/** The guest bytes of an image file, through qemu-img convert -O raw. */
async function guestBytes(file: string, format: 'qcow2' | 'raw', dir: string): Promise<Buffer> {
  const raw = path.join(dir, `${randomUUID()}.raw`);
  await run('qemu-img', ['convert', '-f', format, '-O', 'raw', file, raw]);
  try {
    return await readFile(raw);
  } finally {
    await rm(raw, { force: true });
  }
}

/**
 * ExportVolume: a volume's content written into a QCOW2 file through the data mover (file
 * pool and StorPool simulator); the file's guest bytes are the volume's. An attached volume
 * is refused; an export a crash left after its intent is finished by recovery.
 */
describe('volume exports', () => {
  let h: StorageHarness;
  let dir: string;
  let storpool: StorPoolSimulator;
  let moverId: string;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const outcome = (commandId: string) => h.outcome(commandId);
  const rejection = (event: Envelope) => event.data as { error: { code: string }; violations?: { field: string }[] };

  async function addPool(name: string, settings: Record<string, unknown>): Promise<string> {
    const poolId = randomUUID();
    expect(await outcome(await send('AddStoragePool', poolId, { name, zoneId: 'z1', ...settings }))).toMatchObject({ type: 'StoragePoolAdded' });
    return poolId;
  }

  /** A 16 MiB volume with markers written into it (through an attach for a vendor pool); returns its id and bytes. */
  async function patternedVolume(poolId: string): Promise<{ volumeId: string; bytes: Buffer }> {
    const volumeId = randomUUID();
    const created = await outcome(await send('CreateVolume', volumeId, { name: 'to-export', poolId, sizeBytes: 16 * MiB }));
    expect(created).toMatchObject({ type: 'VolumeCreated' });
    const attached = await outcome(await send('AttachVolume', volumeId, { hostId: moverId }));
    expect(attached).toMatchObject({ type: 'VolumeAttached' });
    const device = (attached.data as { devicePath: string }).devicePath;
    await writeAt(device, 0, marker('boot '));
    await writeAt(device, 7 * MiB + 3, marker('middle '));
    await writeAt(device, 16 * MiB - 4096, marker('end '));
    expect(await outcome(await send('DetachVolume', volumeId, { hostId: moverId }))).toMatchObject({ type: 'VolumeDetached' });
    const size = (created.data as { sizeBytes: number }).sizeBytes;
    const handle = await open(device, 'r');
    const bytes = Buffer.alloc(size);
    await handle.read(bytes, 0, size, 0);
    await handle.close();
    return { volumeId, bytes };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-export-'));
    storpool = await startStorPoolSimulator({ port: 0, dataDir: path.join(dir, 'storpool'), authToken: 'sp-export-token' });
    h = await startStorageHarness('volume-export');
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

  it.each([
    ['file', () => ({ plugin: 'file', config: { path: path.join(dir, 'file') } })],
    ['storpool', () => ({ plugin: 'storpool', config: { host: '127.0.0.1', port: storpool.port, authToken: 'sp-export-token', template: 'nvme', devicePath: storpool.devicePathTemplate } })],
  ])('on a %s pool: the QCOW2 holds the volume\'s bytes, no partial file is left, and the volume is free again', async (name, settings) => {
    const poolId = await addPool(`export-${name}`, settings());
    const { volumeId, bytes } = await patternedVolume(poolId);
    const file = path.join(dir, `${name}.qcow2`);
    const exportId = randomUUID();
    const command = await send('ExportVolume', exportId, { volumeId, path: file, format: 'qcow2', dataMoverHostId: moverId });
    expect((await h.eventFor('VolumeExportRequested', command)).data).toMatchObject({ exportId, volumeId, poolId, path: file, format: 'qcow2', dataMoverHostId: moverId });
    const exported = await outcome(command);
    expect(exported).toMatchObject({ type: 'VolumeExported', data: { exportId, volumeId, path: file, fileSizeBytes: (await stat(file)).size } });
    const { stdout } = await run('qemu-img', ['info', '--output=json', file]);
    expect(JSON.parse(stdout)).toMatchObject({ format: 'qcow2', 'virtual-size': bytes.length });
    expect((await guestBytes(file, 'qcow2', dir)).equals(bytes)).toBe(true);
    await expect(stat(`${file}.part`)).rejects.toThrow(/ENOENT/);
    // The data mover's mapping is gone and nothing is in flight: the volume deletes.
    expect(await outcome(await send('DeleteVolume', volumeId, {}))).toMatchObject({ type: 'VolumeDeleted' });
  });

  it('refuses an attached volume, an unknown one and an unknown data mover, naming the field', async () => {
    const poolId = await addPool('export-refusals', { plugin: 'file', config: { path: path.join(dir, 'file-r') } });
    const volumeId = randomUUID();
    expect(await outcome(await send('CreateVolume', volumeId, { name: 'attached', poolId, sizeBytes: 4 * MiB }))).toMatchObject({ type: 'VolumeCreated' });
    expect(await outcome(await send('AttachVolume', volumeId, { hostId: moverId }))).toMatchObject({ type: 'VolumeAttached' });
    const file = path.join(dir, 'refused.qcow2');
    const attached = rejection(await outcome(await send('ExportVolume', randomUUID(), { volumeId, path: file, format: 'qcow2', dataMoverHostId: moverId })));
    expect(attached).toMatchObject({ error: { code: 'volume.export_needs_detach' }, violations: [{ field: 'data.volumeId' }] });
    const unknown = rejection(await outcome(await send('ExportVolume', randomUUID(), { volumeId: randomUUID(), path: file, format: 'qcow2' })));
    expect(unknown).toMatchObject({ error: { code: 'volume.not_found' }, violations: [{ field: 'data.volumeId' }] });
    expect(await outcome(await send('DetachVolume', volumeId, { hostId: moverId }))).toMatchObject({ type: 'VolumeDetached' });
    const mover = rejection(await outcome(await send('ExportVolume', randomUUID(), { volumeId, path: file, format: 'qcow2', dataMoverHostId: randomUUID() })));
    expect(mover).toMatchObject({ error: { code: 'host.not_found' }, violations: [{ field: 'data.dataMoverHostId' }] });
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('recovery finishes an export a crash left after its intent (a stale partial file is overwritten)', async () => {
    const poolId = await addPool('export-recovery', { plugin: 'file', config: { path: path.join(dir, 'file-rec') } });
    const { volumeId, bytes } = await patternedVolume(poolId);
    const file = path.join(dir, 'recovered.qcow2');
    await writeAt(await (async () => {
      const handle = await open(`${file}.part`, 'w');
      await handle.close();
      return `${file}.part`;
    })(), 0, marker('half written '));
    const exportId = randomUUID();
    const store = h.app.get(PgEventStore);
    await store.append(`export-${exportId}`, 0, [
      {
        messageId: randomUUID(),
        type: 'VolumeExportRequested',
        schemaVersion: 1,
        aggregateId: exportId,
        occurredAt: new Date(Date.now() - 60_000).toISOString(),
        correlationId: 'export-crash',
        causationId: randomUUID(),
        tenant: null,
        data: { exportId, volumeId, poolId, path: file, format: 'qcow2', dataMoverHostId: moverId },
      },
    ]);
    await h.app.get(VolumeExportRecovery).sweep(0);
    await h.app.get(VolumeExportRecovery).sweep(0);
    const events = await store.readStream(`export-${exportId}`);
    expect(events.map((e) => e.envelope.type)).toEqual(['VolumeExportRequested', 'VolumeExported']);
    expect((await guestBytes(file, 'qcow2', dir)).equals(bytes)).toBe(true);
    await expect(stat(`${file}.part`)).rejects.toThrow(/ENOENT/);
  });
});
