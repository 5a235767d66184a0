import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Envelope } from '@strata/contracts';
import { KafkaMessageBus, type Subscription } from '@strata/messaging';
import { eventually } from '@strata/testing';
import { DataSource } from 'typeorm';
import { exportIds } from './template-exports/domain/template-export';
import { startImageHarness, type ImageHarness } from './testing/image-harness.spec';

const MiB = 2 ** 20;
const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));
const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { encoding: 'utf8' });

/**
 * Templates made from volumes and snapshots, with the image service in this process on real
 * PostgreSQL and Kafka; the test plays the storage and snapshot services: it reads the
 * commands the image service sends (CreateVolume fromSnapshot, ExportVolume, DeleteVolume),
 * writes the QCOW2 an export would, and publishes the outcomes on the event topics.
 */
describe('templates made from volumes and snapshots', () => {
  let h: ImageHarness;
  let bus: KafkaMessageBus;
  let sub: Subscription;
  let dir: string;
  let storeDir: string;
  let disk: Buffer;
  const commands: Envelope[] = [];
  const versions = new Map<string, number>();

  const command = (type: string, match: (c: Envelope) => boolean) => eventually(`command ${type}`, async () => commands.find((c) => c.type === type && match(c)));
  const ofTemplate = (templateId: string) => h.events.filter((e) => e.aggregateId === templateId).map((e) => e.type);

  /** An event as the storage or snapshot service would publish it. */
  async function publish(route: 'storage' | 'snapshot', type: string, aggregateId: string, data: Record<string, unknown>, causationId: string | null = null): Promise<Envelope> {
    const streamVersion = (versions.get(aggregateId) ?? 0) + 1;
    versions.set(aggregateId, streamVersion);
    const messageId = randomUUID();
    const envelope: Envelope = { messageId, kind: 'event', type, schemaVersion: 1, aggregateId, streamVersion, occurredAt: new Date().toISOString(), correlationId: causationId ?? messageId, causationId, tenant: null, data };
    await bus.publish([{ topic: route === 'storage' ? h.topics.storageEvents : h.topics.snapshotEvents, key: aggregateId, value: JSON.stringify(envelope) }]);
    return envelope;
  }

  /** Plays the storage service's export: the QCOW2 of the disk at the path asked for, then VolumeExported. */
  async function exportDone(exportCommand: Envelope): Promise<void> {
    const { volumeId, path: file, format } = exportCommand.data as { volumeId: string; path: string; format: string };
    expect(format).toBe('qcow2');
    const raw = path.join(dir, `${randomUUID()}.raw`);
    await writeFile(raw, disk);
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', raw, file);
    await publish('storage', 'VolumeExported', exportCommand.aggregateId, { exportId: exportCommand.aggregateId, volumeId, path: file, fileSizeBytes: (await stat(file)).size }, exportCommand.messageId);
  }

  /** Resolves once the image service's view of the storage and snapshot events has the volume or snapshot. */
  const inView = (id: string) =>
    eventually(`${id} in the view`, async () => ((await h.app.get(DataSource).query(`SELECT 1 FROM "image".export_sources WHERE source_id = $1`, [id])) as unknown[]).length > 0 || undefined);

  /** A volume and a snapshot of it (16 MiB) the view knows, and CreateTemplateFromVolume of the snapshot. */
  async function fromNewSnapshot(name: string): Promise<{ templateId: string; temp: string; sent: string }> {
    const volumeId = await knownVolume();
    const snapshotId = randomUUID();
    await publish('snapshot', 'SnapshotCreated', snapshotId, { snapshotId, volumeId, sizeBytes: 16 * MiB });
    await inView(snapshotId);
    const templateId = randomUUID();
    const sent = await h.send('CreateTemplateFromVolume', templateId, { name, zoneId: 'z1', volumeId, snapshotId });
    return { templateId, temp: exportIds.temporaryVolume(templateId), sent };
  }

  async function knownVolume(sizeBytes = 16 * MiB): Promise<string> {
    const volumeId = randomUUID();
    await publish('storage', 'VolumeCreated', volumeId, { volumeId, poolId: randomUUID(), backendName: `vol-${volumeId}`, sizeBytes, path: null });
    return volumeId;
  }

  beforeAll(async () => {
    qemuImg('--version');
    dir = await mkdtemp(path.join(tmpdir(), 'strata-template-exports-'));
    storeDir = path.join(dir, 'store');
    await mkdir(storeDir);
    disk = Buffer.alloc(4 * MiB);
    for (let block = 0; block < disk.length / 65536; block++) disk.fill(`block-${block}|`, block * 65536, (block + 1) * 65536);
    h = await startImageHarness('template-exports');
    bus = new KafkaMessageBus({ brokers: h.infra.kafkaBrokers, clientId: 'template-exports-int' });
    sub = await bus.subscribe({
      groupId: `${h.infra.topicPrefix}observer-commands`,
      topics: [h.topics.storageCommands],
      fromBeginning: true,
      handle: async (m) => void commands.push(JSON.parse(m.value!.toString('utf8')) as Envelope),
    });
    expect(await h.outcome(await h.send('AddImageStore', randomUUID(), { name: 'sec-z1', zoneId: 'z1', path: storeDir }))).toMatchObject({ type: 'ImageStoreAdded' });
  });

  afterAll(async () => {
    await sub?.stop();
    await bus?.close();
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('from a volume: ExportVolume of the volume into the store; VolumeExported → verified and registered (qcow2, virtual size, sha256)', async () => {
    const templateId = randomUUID();
    const volumeId = randomUUID();
    const sent = await h.send('CreateTemplateFromVolume', templateId, { name: 'golden', zoneId: 'z1', volumeId, osType: 'debian' });
    expect((await h.eventFor('TemplateRegistrationRequested', sent)).data).toMatchObject({ templateId, format: 'qcow2', kind: 'template', source: { kind: 'volume', volumeId, snapshotId: null }, osType: 'debian' });
    const exported = await command('ExportVolume', (c) => c.aggregateId === exportIds.export(templateId));
    const file = path.join(storeDir, 'templates', `${templateId}.qcow2`);
    expect(exported).toMatchObject({ messageId: exportIds.command(templateId, 'export'), data: { volumeId, path: file, format: 'qcow2' } });
    await mkdir(path.dirname(file), { recursive: true });
    await exportDone(exported);
    const registered = await h.outcome(sent);
    expect(registered).toMatchObject({
      type: 'TemplateRegistered',
      data: { templateId, format: 'qcow2', virtualSizeBytes: disk.length, file: `templates/${templateId}.qcow2`, sha256: createHash('sha256').update(await readFile(file)).digest('hex') },
    });
    // No temporary volume: nothing else was sent for it.
    expect(commands.filter((c) => c.type !== 'ExportVolume' && JSON.stringify(c.data).includes(templateId.slice(0, 8)))).toEqual([]);
  });

  it('from a snapshot: CreateVolume fromSnapshot (the snapshot size) → ExportVolume of it → DeleteVolume of it, and registered', async () => {
    const volumeId = await knownVolume(32 * MiB);
    const snapshotId = randomUUID();
    await publish('snapshot', 'SnapshotCreated', snapshotId, { snapshotId, volumeId, sizeBytes: 16 * MiB });
    const templateId = randomUUID();
    const temp = exportIds.temporaryVolume(templateId);
    // The view lags by a Kafka hop (the snapshot's own size is used once it has it, the volume's before).
    await inView(snapshotId);
    const sent = await h.send('CreateTemplateFromVolume', templateId, { name: 'from-snap', zoneId: 'z1', volumeId, snapshotId });
    const clone = await command('CreateVolume', (c) => c.aggregateId === temp);
    expect(clone).toMatchObject({ messageId: exportIds.command(templateId, 'clone'), data: { sizeBytes: 16 * MiB, fromSnapshot: { snapshotId, volumeId } } });
    await publish('storage', 'VolumeCreated', temp, { volumeId: temp, poolId: randomUUID(), backendName: `vol-${temp}`, sizeBytes: 16 * MiB, path: null }, clone.messageId);
    const exported = await command('ExportVolume', (c) => c.aggregateId === exportIds.export(templateId));
    expect(exported.data).toMatchObject({ volumeId: temp, format: 'qcow2' });
    await exportDone(exported);
    expect(await command('DeleteVolume', (c) => c.aggregateId === temp)).toMatchObject({ messageId: exportIds.command(templateId, 'cleanup') });
    expect(await h.outcome(sent)).toMatchObject({ type: 'TemplateRegistered', data: { templateId, virtualSizeBytes: disk.length } });
    expect(ofTemplate(templateId)).toEqual(['TemplateRegistrationRequested', 'TemplateExportStepRequested', 'TemplateExportStepRequested', 'TemplateTransferProgressed', 'TemplateExportStepRequested', 'TemplateRegistered']);
  });

  it('an export that fails: the template fails with the storage reason and the temporary volume is deleted; a repeat does nothing', async () => {
    const { templateId, temp, sent } = await fromNewSnapshot('doomed');
    const clone = await command('CreateVolume', (c) => c.aggregateId === temp);
    await publish('storage', 'VolumeCreated', temp, { volumeId: temp, poolId: randomUUID(), backendName: 'b', sizeBytes: 16 * MiB, path: null }, clone.messageId);
    const exported = await command('ExportVolume', (c) => c.aggregateId === exportIds.export(templateId));
    const error = { code: 'volume.export_failed', category: 'backend.terminal', message: 'no space left on the image store' };
    const failure = await publish('storage', 'VolumeExportFailed', exported.aggregateId, { exportId: exported.aggregateId, volumeId: temp, error }, exported.messageId);
    expect(await h.outcome(sent)).toMatchObject({ type: 'TemplateRegistrationFailed', data: { templateId, error } });
    expect(await command('DeleteVolume', (c) => c.aggregateId === temp)).toMatchObject({ messageId: exportIds.command(templateId, 'cleanup') });
    await bus.publish([{ topic: h.topics.storageEvents, key: failure.aggregateId, value: JSON.stringify(failure) }]);
    await settle();
    expect(commands.filter((c) => c.type === 'DeleteVolume' && c.aggregateId === temp)).toHaveLength(1);
    expect(ofTemplate(templateId).filter((t) => t === 'TemplateRegistrationFailed')).toHaveLength(1);
  });

  it('resumes after a restart: the clone finished while the service was down; the export goes on and the template registers', async () => {
    const { templateId, temp, sent } = await fromNewSnapshot('restarted');
    const clone = await command('CreateVolume', (c) => c.aggregateId === temp);
    await h.restart(() => publish('storage', 'VolumeCreated', temp, { volumeId: temp, poolId: randomUUID(), backendName: 'b', sizeBytes: 16 * MiB, path: null }, clone.messageId));
    const exported = await command('ExportVolume', (c) => c.aggregateId === exportIds.export(templateId));
    await exportDone(exported);
    expect(await h.outcome(sent, 30_000)).toMatchObject({ type: 'TemplateRegistered', data: { templateId } });
    await settle();
    expect(commands.filter((c) => c.aggregateId === exportIds.export(templateId))).toHaveLength(1);
  });

  it('deleted while the export runs: the file the export then writes is removed', async () => {
    const templateId = randomUUID();
    await h.send('CreateTemplateFromVolume', templateId, { name: 'short-lived', zoneId: 'z1', volumeId: randomUUID() });
    const exported = await command('ExportVolume', (c) => c.aggregateId === exportIds.export(templateId));
    expect((await h.outcome(await h.send('DeleteTemplate', templateId, {}))).type).toBe('TemplateDeleted');
    await exportDone(exported);
    const file = (exported.data as { path: string }).path;
    await eventually('the late file removed', async () => (await stat(file).then(() => false, () => true)) || undefined);
    expect(ofTemplate(templateId)).not.toContain('TemplateRegistered');
  });

  it('refuses a zone without an image store, and a snapshot the view does not know', async () => {
    const none = await h.outcome(await h.send('CreateTemplateFromVolume', randomUUID(), { name: 'nowhere', zoneId: 'z9', volumeId: randomUUID() }));
    expect(none).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'imagestore.none_in_zone' } } });
    const unknown = await h.outcome(await h.send('CreateTemplateFromVolume', randomUUID(), { name: 'unknown', zoneId: 'z1', volumeId: randomUUID(), snapshotId: randomUUID() }));
    expect(unknown).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'template.source_unknown' }, violations: [{ field: 'data.snapshotId' }] } });
  });
});
