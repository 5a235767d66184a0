import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { templateBaseId, type Envelope } from '@strata/contracts';
import { SpoolTemplateHandler, TemplateBases } from './bases/bases.providers';
import { baseIds } from './bases/domain/template-base';
import { startBasesHarness, type BasesHarness, type TestTemplate } from './testing/bases-harness.spec';

const run = promisify(execFile);
const MiB = 2 ** 20;
const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

/**
 * Cached template bases, with the image service in this process on real PostgreSQL and
 * Kafka; the test plays the storage and snapshot services: it reads the commands the bases
 * send (CreateVolume fromImage, CreateSnapshot, DeleteVolume) from their topics and
 * publishes the outcomes on the event topics.
 */
describe('cached template bases', () => {
  let h: BasesHarness;
  let dir: string;
  let template: TestTemplate;

  const ofType = (type: string, aggregateId?: string) => h.commands.filter((c) => c.type === type && (aggregateId === undefined || c.aggregateId === aggregateId));

  /** Plays the storage service making the base volume, then the snapshot service snapshotting it. */
  async function completeSpool(create: Envelope): Promise<Envelope> {
    await h.publish('storage', 'VolumeCreated', create.aggregateId, { volumeId: create.aggregateId, poolId: (create.data as { poolId: string }).poolId, backendName: `vol-${create.aggregateId}`, sizeBytes: 16 * MiB, path: null }, create.messageId);
    const snap = await h.command('CreateSnapshot', (c) => (c.data as { volumeId: string }).volumeId === create.aggregateId);
    await h.publish('snapshot', 'SnapshotCreated', snap.aggregateId, { snapshotId: snap.aggregateId, volumeId: create.aggregateId, sizeBytes: 16 * MiB }, snap.messageId);
    return snap;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-bases-'));
    const image = path.join(dir, 'template.qcow2');
    await run('qemu-img', ['create', '-f', 'qcow2', image, String(12 * MiB)]);
    h = await startBasesHarness('bases');
    template = await h.sources.add(image, 'qcow2');
  });

  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('two concurrent SpoolTemplate: one CreateVolume fromImage; the outcomes make the base ready; a later request is answered at once', async () => {
    const poolId = await h.addPool();
    const baseId = templateBaseId(template.templateId, poolId);
    const [first, second] = await Promise.all([h.spool(template.templateId, poolId, baseId), h.spool(template.templateId, poolId, baseId)]);
    const requested = await h.event('TemplateSpoolRequested', (e) => e.aggregateId === baseId);
    const joined = await h.event('TemplateSpoolJoined', (e) => e.aggregateId === baseId);
    expect([requested.causationId, joined.causationId].sort()).toEqual([first, second].sort());
    expect(requested.data).toMatchObject({ baseId, templateId: template.templateId, poolId, sizeBytes: 12 * MiB, attempt: 1 });

    const create = await h.command('CreateVolume', (c) => c.aggregateId === (requested.data as { volumeId: string }).volumeId);
    expect(create).toMatchObject({
      messageId: baseIds.createVolumeCommand(baseId, 1),
      data: { name: `template-${template.templateId.slice(0, 8)}-base`, poolId, sizeBytes: 12 * MiB, volumeType: 'ROOT', fromImage: { path: template.path, format: 'qcow2' } },
    });
    await settle();
    expect(ofType('CreateVolume', create.aggregateId)).toHaveLength(1);

    // Also in one process at once (no Kafka partition ordering between them): the stream's version decides.
    const pool2 = await h.addPool();
    const base2 = templateBaseId(template.templateId, pool2);
    const handler = h.app.get(SpoolTemplateHandler);
    const direct = (id: string) =>
      handler.handle({ messageId: id, kind: 'command', type: 'SpoolTemplate', schemaVersion: 1, aggregateId: base2, streamVersion: null, occurredAt: new Date().toISOString(), correlationId: id, causationId: null, tenant: null, data: { templateId: template.templateId, poolId: pool2 } });
    await Promise.all([direct(randomUUID()), direct(randomUUID()), direct(randomUUID())]);
    await settle();
    expect(ofType('CreateVolume').filter((c) => (c.data as { poolId: string }).poolId === pool2)).toHaveLength(1);
    expect(h.events.filter((e) => e.aggregateId === base2).map((e) => e.type).sort()).toEqual(['TemplateSpoolJoined', 'TemplateSpoolJoined', 'TemplateSpoolRequested']);

    const snap = await completeSpool(create);
    expect(snap).toMatchObject({ messageId: baseIds.createSnapshotCommand(baseId, 1), aggregateId: (requested.data as { snapshotId: string }).snapshotId });
    const spooled = await h.event('TemplateSpooled', (e) => e.aggregateId === baseId);
    expect(spooled.data).toMatchObject({ baseId, volumeId: create.aggregateId, snapshotId: snap.aggregateId, sizeBytes: 12 * MiB });

    const later = await h.spool(template.templateId, poolId, baseId);
    expect((await h.eventFor('TemplateSpooled', later)).data).toMatchObject({ baseId, snapshotId: snap.aggregateId });
    await settle();
    expect(ofType('CreateVolume').filter((c) => (c.data as { poolId: string }).poolId === poolId)).toHaveLength(1);
    expect(ofType('CreateSnapshot', snap.aggregateId)).toHaveLength(1);
  });

  it('refuses an unknown template, an ISO and an unknown pool, naming the field', async () => {
    const poolId = await h.addPool();
    const rejected = async (templateId: string, pool: string) => {
      const id = await h.spool(templateId, pool, templateBaseId(templateId, pool));
      return (await h.eventFor('CommandRejected', id)).data as { error: { code: string }; violations: { field: string }[] };
    };
    expect(await rejected(randomUUID(), poolId)).toMatchObject({ error: { code: 'template.not_found' }, violations: [{ field: 'data.templateId' }] });
    const iso = { ...template, templateId: randomUUID(), kind: 'iso' as const, format: 'iso' as const };
    h.sources.templates.set(iso.templateId, iso);
    expect(await rejected(iso.templateId, poolId)).toMatchObject({ error: { code: 'template.is_iso' } });
    expect(await rejected(template.templateId, randomUUID())).toMatchObject({ error: { code: 'pool.not_found' }, violations: [{ field: 'data.poolId' }] });
    const otherZone = await h.addPool('z2');
    expect(await rejected(template.templateId, otherZone)).toMatchObject({ error: { code: 'template.not_in_zone' } });
  });

  it('a snapshot failure: compensation DeleteVolume and TemplateSpoolFailed; repeats and stale outcomes do nothing; the next spool is attempt 2; a restart in between resumes', async () => {
    const poolId = await h.addPool();
    const baseId = templateBaseId(template.templateId, poolId);
    await h.spool(template.templateId, poolId, baseId);
    const create1 = await h.command('CreateVolume', (c) => c.aggregateId === baseIds.volumeId(baseId, 1));

    // The service stops after sending CreateVolume; the outcome arrives while it is down.
    let volumeCreated!: Envelope;
    await h.restart(async () => {
      volumeCreated = await h.publish('storage', 'VolumeCreated', create1.aggregateId, { volumeId: create1.aggregateId, poolId, backendName: 'b', sizeBytes: 16 * MiB, path: null }, create1.messageId);
    });
    const snap = await h.command('CreateSnapshot', (c) => c.aggregateId === baseIds.snapshotId(baseId, 1));
    // The same VolumeCreated again (a redelivery): no second CreateSnapshot.
    await h.republish('storage', volumeCreated);

    const failure = await h.publish('snapshot', 'SnapshotCreationFailed', snap.aggregateId, { snapshotId: snap.aggregateId, volumeId: create1.aggregateId, error: { code: 'snapshot.backend_failed', category: 'backend.terminal', message: 'the pool is full' } }, snap.messageId);
    const failed = await h.event('TemplateSpoolFailed', (e) => e.aggregateId === baseId);
    expect(failed.data).toMatchObject({ baseId, error: { code: 'snapshot.backend_failed' } });
    const compensation = await h.command('DeleteVolume', (c) => c.aggregateId === create1.aggregateId);
    expect(compensation).toMatchObject({ messageId: baseIds.compensationCommand(baseId, 1), data: { deleteSnapshots: true } });
    await h.republish('snapshot', failure);

    const again = await h.spool(template.templateId, poolId, baseId);
    expect((await h.eventFor('TemplateSpoolRequested', again)).data).toMatchObject({ attempt: 2, volumeId: baseIds.volumeId(baseId, 2) });
    const create2 = await h.command('CreateVolume', (c) => c.aggregateId === baseIds.volumeId(baseId, 2));
    // A stale outcome of attempt 1 arriving now: ignored.
    await h.publish('storage', 'VolumeCreated', create1.aggregateId, { volumeId: create1.aggregateId, poolId, backendName: 'b', sizeBytes: 16 * MiB, path: null });
    await completeSpool(create2);
    expect((await h.event('TemplateSpooled', (e) => e.aggregateId === baseId)).data).toMatchObject({ volumeId: create2.aggregateId });
    await settle();
    expect(ofType('CreateSnapshot', baseIds.snapshotId(baseId, 1))).toHaveLength(1);
    expect(ofType('DeleteVolume', create1.aggregateId)).toHaveLength(1);
    expect(h.events.filter((e) => e.aggregateId === baseId && e.type === 'TemplateSpoolFailed')).toHaveLength(1);
  });

  it('retirement: blocked by clones, tried again by the sweep, removed; a base still spooling is retired when it is ready', async () => {
    const image = path.join(dir, 'retired.qcow2');
    await run('qemu-img', ['create', '-f', 'qcow2', image, String(8 * MiB)]);
    const doomed = await h.sources.add(image, 'qcow2');
    const readyPool = await h.addPool();
    const spoolingPool = await h.addPool();
    const readyBase = templateBaseId(doomed.templateId, readyPool);
    const spoolingBase = templateBaseId(doomed.templateId, spoolingPool);
    await h.spool(doomed.templateId, readyPool, readyBase);
    await completeSpool(await h.command('CreateVolume', (c) => c.aggregateId === baseIds.volumeId(readyBase, 1)));
    await h.event('TemplateSpooled', (e) => e.aggregateId === readyBase);
    await h.spool(doomed.templateId, spoolingPool, spoolingBase);
    const spoolingCreate = await h.command('CreateVolume', (c) => c.aggregateId === baseIds.volumeId(spoolingBase, 1));

    // The templates side deletes the template, then asks for its bases to be retired.
    h.sources.templates.set(doomed.templateId, { ...doomed, status: 'deleted' });
    const meta = { causationId: randomUUID(), correlationId: randomUUID(), tenant: null };
    await h.app.get(TemplateBases).retireBasesOf(doomed.templateId, meta);
    expect((await h.eventFor('TemplateBaseRetirementRequested', meta.causationId)).aggregateId).toBe(readyBase);
    const delete1 = await h.command('DeleteVolume', (c) => c.messageId === baseIds.retirementCommand(readyBase, 1));
    expect(delete1).toMatchObject({ aggregateId: baseIds.volumeId(readyBase, 1), data: { deleteSnapshots: true } });

    // The storage service refuses: volumes are cloned from the base.
    await h.publish('storage', 'CommandRejected', delete1.aggregateId, {
      commandId: delete1.messageId,
      commandType: 'DeleteVolume',
      aggregateId: delete1.aggregateId,
      error: { code: 'volume.has_clones', category: 'illegal_state', message: 'volumes are cloned from its snapshots' },
      violations: [],
    }, delete1.messageId);
    expect((await h.event('TemplateBaseRetirementBlocked', (e) => e.aggregateId === readyBase)).data).toMatchObject({ reason: expect.stringContaining('volume.has_clones') });

    // A restart, then the periodic sweep tries again with a new command.
    await h.restart();
    await h.app.get(TemplateBases).sweep();
    const delete2 = await h.command('DeleteVolume', (c) => c.messageId === baseIds.retirementCommand(readyBase, 2));
    expect(delete2.aggregateId).toBe(delete1.aggregateId);
    await h.publish('storage', 'VolumeDeleted', delete2.aggregateId, { volumeId: delete2.aggregateId, poolId: readyPool, sizeBytes: 16 * MiB }, delete2.messageId);
    expect((await h.event('TemplateBaseRemoved', (e) => e.aggregateId === readyBase)).data).toMatchObject({ volumeId: delete2.aggregateId });

    // The spooling base: retired once its spool ends.
    expect(ofType('DeleteVolume', spoolingCreate.aggregateId)).toHaveLength(0);
    await completeSpool(spoolingCreate);
    await h.event('TemplateSpooled', (e) => e.aggregateId === spoolingBase);
    await h.event('TemplateBaseRetirementRequested', (e) => e.aggregateId === spoolingBase);
    const delete3 = await h.command('DeleteVolume', (c) => c.messageId === baseIds.retirementCommand(spoolingBase, 1));
    await h.publish('storage', 'VolumeDeleted', delete3.aggregateId, { volumeId: delete3.aggregateId, poolId: spoolingPool, sizeBytes: 16 * MiB }, delete3.messageId);
    await h.event('TemplateBaseRemoved', (e) => e.aggregateId === spoolingBase);

    // A spool of the deleted template is refused.
    const refused = await h.spool(doomed.templateId, readyPool, readyBase);
    expect((await h.eventFor('CommandRejected', refused)).data).toMatchObject({ error: { code: 'template.not_found' } });
  });
});
