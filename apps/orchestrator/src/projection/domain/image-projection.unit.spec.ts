import { randomUUID } from 'node:crypto';
import type { ImageStoreRow, JobRow, TemplateBaseRow, TemplateRow } from '../../read-model/domain/rows';
import { NO_USAGE } from './pool-projection';
import { projectEvent, projectionTargets } from './project-event';
import { readEvent, type ReceivedEvent } from './storage-event';

/** The image read models in memory, fed as the TypeORM edge feeds the real ones. */
class ImageReadModels {
  stores = new Map<string, ImageStoreRow>();
  templates = new Map<string, TemplateRow>();
  bases = new Map<string, TemplateBaseRow>();
  jobs = new Map<string, JobRow>();
  history: { aggregateId: string; streamVersion: number; type: string }[] = [];

  apply(...events: ReceivedEvent[]): this {
    for (const e of events) {
      const t = projectionTargets(e);
      const view = {
        pool: null,
        poolUsage: NO_USAGE,
        volume: null,
        host: null,
        drift: null,
        imageStore: (t.imageStoreId && this.stores.get(t.imageStoreId)) || null,
        template: (t.templateId && this.templates.get(t.templateId)) || null,
        templateBase: (t.templateBaseId && this.bases.get(t.templateBaseId)) || null,
        job: (t.jobId && this.jobs.get(t.jobId)) || null,
      };
      const changes = projectEvent(view, e);
      if (changes.imageStore) this.stores.set(changes.imageStore.id, changes.imageStore);
      if (changes.template) this.templates.set(changes.template.id, changes.template);
      if (changes.templateBase) this.bases.set(changes.templateBase.id, changes.templateBase);
      if (changes.job) this.jobs.set(changes.job.id, changes.job);
      if (changes.history) this.history.push({ aggregateId: changes.history.aggregateId, streamVersion: changes.history.streamVersion, type: changes.history.type });
    }
    return this;
  }
}

let clock = Date.parse('2026-11-21T00:00:00.000Z');
function event(type: string, aggregateId: string, streamVersion: number, data: Record<string, unknown>, causationId: string | null = randomUUID(), tenant: string | null = null): ReceivedEvent {
  clock += 1000;
  const read = readEvent({
    messageId: randomUUID(),
    kind: 'event',
    type,
    schemaVersion: 1,
    aggregateId,
    streamVersion,
    occurredAt: new Date(clock).toISOString(),
    correlationId: 'c',
    causationId,
    tenant,
    data,
  });
  if (!read.ok) throw new Error(read.reason);
  return read.event;
}

const acceptedJob = (id: string, commandType: string, aggregateId: string): JobRow => ({
  id,
  commandType,
  aggregateId,
  tenant: 'acme',
  status: 'accepted',
  result: null,
  error: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

const STORE = randomUUID();
const STORE_2 = randomUUID();
const TEMPLATE = randomUUID();
const POOL = randomUUID();
const BASE = randomUUID();
const BASE_VOLUME = randomUUID();
const BASE_SNAPSHOT = randomUUID();
const GiB = 2 ** 30;
const failure = { code: 'image.checksum_mismatch', category: 'validation', message: 'sha256 differs' };

const registrationRequested = (jobId: string, over: Record<string, unknown> = {}) =>
  event(
    'TemplateRegistrationRequested',
    TEMPLATE,
    1,
    {
      templateId: TEMPLATE,
      name: 'debian-12',
      kind: 'template',
      format: 'qcow2',
      zoneId: 'zone-1',
      imageStoreId: STORE,
      source: { kind: 'url', url: 'https://images.example/debian.qcow2' },
      checksum: { algorithm: 'sha256', value: 'ab'.repeat(32) },
      osType: 'debian12',
      description: null,
      public: false,
      ...over,
    },
    jobId,
    'acme',
  );
const registered = (jobId: string, version = 3) =>
  event(
    'TemplateRegistered',
    TEMPLATE,
    version,
    { templateId: TEMPLATE, imageStoreId: STORE, zoneId: 'zone-1', file: `templates/${TEMPLATE}.qcow2`, format: 'qcow2', virtualSizeBytes: 10 * GiB, physicalSizeBytes: GiB, sha256: 'cd'.repeat(32) },
    jobId,
    'acme',
  );

describe('image projections', () => {
  it('an image store: added (active, with its space), then removed; its job succeeds each time; stale events change nothing', () => {
    const job = randomUUID();
    const added = event('ImageStoreAdded', STORE, 1, { imageStoreId: STORE, name: 'secondary-1', zoneId: 'zone-1', path: '/srv/images', capacityBytes: 100 * GiB, freeBytes: 60 * GiB }, job);
    const rm = randomUUID();
    const models = new ImageReadModels();
    models.jobs.set(job, acceptedJob(job, 'AddImageStore', STORE));
    models.jobs.set(rm, acceptedJob(rm, 'RemoveImageStore', STORE));
    models.apply(added);
    expect(models.stores.get(STORE)).toEqual({
      id: STORE,
      name: 'secondary-1',
      zoneId: 'zone-1',
      path: '/srv/images',
      capacityBytes: 100 * GiB,
      freeBytes: 60 * GiB,
      status: 'active',
      version: 1,
      createdAt: added.occurredAt,
      updatedAt: added.occurredAt,
    });
    expect(models.jobs.get(job)).toMatchObject({ status: 'succeeded', result: { imageStoreId: STORE } });
    models.apply(event('ImageStoreRemoved', STORE, 2, { imageStoreId: STORE }, rm));
    expect(models.stores.get(STORE)).toMatchObject({ status: 'removed', version: 2 });
    expect(models.jobs.get(rm)).toMatchObject({ status: 'succeeded', commandType: 'RemoveImageStore' });
    // The older event again (another message id, same version): nothing changes.
    models.apply(event('ImageStoreAdded', STORE, 1, { imageStoreId: STORE, name: 'x', zoneId: 'z', path: '/x', capacityBytes: 1, freeBytes: 1 }));
    expect(models.stores.get(STORE)).toMatchObject({ name: 'secondary-1', status: 'removed' });
    expect(models.history.map((h) => h.type)).toEqual(['ImageStoreAdded', 'ImageStoreRemoved', 'ImageStoreAdded']);
  });

  it("a template's registration: registering with its transferring copy, progress moves it and its job, then ready with the file's facts", () => {
    const job = randomUUID();
    const models = new ImageReadModels();
    models.jobs.set(job, acceptedJob(job, 'RegisterTemplate', TEMPLATE));
    const requested = registrationRequested(job);
    models.apply(requested);
    expect(models.templates.get(TEMPLATE)).toEqual({
      id: TEMPLATE,
      name: 'debian-12',
      kind: 'template',
      declaredFormat: 'qcow2',
      detectedFormat: null,
      status: 'registering',
      copies: [{ imageStoreId: STORE, zoneId: 'zone-1', status: 'transferring', file: null, error: null }],
      virtualSizeBytes: null,
      physicalSizeBytes: null,
      sha256: null,
      checksumDeclared: { algorithm: 'sha256', value: 'ab'.repeat(32) },
      transferPercent: null,
      osType: 'debian12',
      description: null,
      public: false,
      error: null,
      source: { kind: 'url', url: 'https://images.example/debian.qcow2' },
      tenant: 'acme',
      version: 1,
      createdAt: requested.occurredAt,
      updatedAt: requested.occurredAt,
    });
    expect(models.jobs.get(job)).toMatchObject({ status: 'running' });
    models.apply(event('TemplateTransferProgressed', TEMPLATE, 2, { templateId: TEMPLATE, imageStoreId: STORE, bytesDone: 5, bytesTotal: 10, percent: 50 }, job));
    expect(models.templates.get(TEMPLATE)).toMatchObject({ transferPercent: 50 });
    expect(models.jobs.get(job)).toMatchObject({ status: 'running', progress: 50 });
    models.apply(registered(job));
    expect(models.templates.get(TEMPLATE)).toMatchObject({
      status: 'ready',
      detectedFormat: 'qcow2',
      virtualSizeBytes: 10 * GiB,
      physicalSizeBytes: GiB,
      sha256: 'cd'.repeat(32),
      transferPercent: 100,
      copies: [{ imageStoreId: STORE, zoneId: 'zone-1', status: 'ready', file: `templates/${TEMPLATE}.qcow2`, error: null }],
    });
    expect(models.jobs.get(job)).toMatchObject({ status: 'succeeded', progress: 100, result: { templateId: TEMPLATE, virtualSizeBytes: 10 * GiB } });
  });

  it('a template made from a volume or a snapshot: its source in the row; the export steps are history only; the job ends with the registration', () => {
    const VOLUME = randomUUID();
    const SNAPSHOT = randomUUID();
    const job = randomUUID();
    const models = new ImageReadModels();
    models.jobs.set(job, acceptedJob(job, 'CreateTemplateFromVolume', TEMPLATE));
    const fromVolume = { checksum: null, source: { kind: 'volume', volumeId: VOLUME, snapshotId: SNAPSHOT } };
    models.apply(registrationRequested(job, fromVolume));
    expect(models.templates.get(TEMPLATE)).toMatchObject({ status: 'registering', source: { kind: 'snapshot', volumeId: VOLUME, snapshotId: SNAPSHOT }, checksumDeclared: null });
    const step = (version: number, name: string, aggregateId: string) =>
      event('TemplateExportStepRequested', TEMPLATE, version, { templateId: TEMPLATE, step: name, commandId: randomUUID(), aggregateId }, job, 'acme');
    models.apply(step(2, 'clone', randomUUID()), step(3, 'export', randomUUID()));
    expect(models.templates.get(TEMPLATE)).toMatchObject({ status: 'registering', version: 3 });
    expect(models.jobs.get(job)).toMatchObject({ status: 'running' });
    models.apply(event('TemplateTransferProgressed', TEMPLATE, 4, { templateId: TEMPLATE, imageStoreId: STORE, bytesDone: GiB, bytesTotal: GiB, percent: 100 }, job), step(5, 'cleanup', randomUUID()));
    models.apply(registered(job, 6));
    expect(models.templates.get(TEMPLATE)).toMatchObject({ status: 'ready', version: 6, source: { kind: 'snapshot' } });
    expect(models.jobs.get(job)).toMatchObject({ status: 'succeeded', result: { templateId: TEMPLATE } });
    expect(models.history.map((h) => h.type)).toEqual([
      'TemplateRegistrationRequested',
      'TemplateExportStepRequested',
      'TemplateExportStepRequested',
      'TemplateTransferProgressed',
      'TemplateExportStepRequested',
      'TemplateRegistered',
    ]);

    // From the volume itself: kind volume, no snapshot.
    const other = new ImageReadModels();
    other.apply(registrationRequested(randomUUID(), { checksum: null, source: { kind: 'volume', volumeId: VOLUME, snapshotId: null } }));
    expect(other.templates.get(TEMPLATE)?.source).toEqual({ kind: 'volume', volumeId: VOLUME });
    // A source of no known shape is not projected.
    expect(() => registrationRequested(randomUUID(), { source: { kind: 'volume', volumeId: 'not-a-uuid', snapshotId: null } })).toThrow();
  });

  it('progress without a known total, or behind the last report, or after the job ended, moves no job', () => {
    const job = randomUUID();
    const models = new ImageReadModels();
    models.jobs.set(job, acceptedJob(job, 'RegisterTemplate', TEMPLATE));
    models.apply(registrationRequested(job));
    models.apply(event('TemplateTransferProgressed', TEMPLATE, 2, { templateId: TEMPLATE, imageStoreId: STORE, bytesDone: 5, bytesTotal: null, percent: null }, job));
    expect(models.jobs.get(job)?.progress).toBeUndefined();
    models.apply(event('TemplateTransferProgressed', TEMPLATE, 3, { templateId: TEMPLATE, imageStoreId: STORE, bytesDone: 8, bytesTotal: 10, percent: 80 }, job));
    models.apply(event('TemplateTransferProgressed', TEMPLATE, 4, { templateId: TEMPLATE, imageStoreId: STORE, bytesDone: 6, bytesTotal: 10, percent: 60 }, job));
    expect(models.jobs.get(job)?.progress).toBe(80);
    models.apply(registered(job, 5));
    models.apply(event('TemplateTransferProgressed', TEMPLATE, 6, { templateId: TEMPLATE, imageStoreId: STORE, bytesDone: 9, bytesTotal: 10, percent: 90 }, job));
    expect(models.jobs.get(job)).toMatchObject({ status: 'succeeded', progress: 100 });
  });

  it('a failed registration: failed with the error, on the template, its copy and its job', () => {
    const job = randomUUID();
    const models = new ImageReadModels();
    models.jobs.set(job, acceptedJob(job, 'RegisterTemplate', TEMPLATE));
    models.apply(registrationRequested(job), event('TemplateRegistrationFailed', TEMPLATE, 2, { templateId: TEMPLATE, imageStoreId: STORE, error: failure }, job));
    expect(models.templates.get(TEMPLATE)).toMatchObject({
      status: 'failed',
      error: failure,
      copies: [{ imageStoreId: STORE, zoneId: 'zone-1', status: 'failed', file: null, error: failure }],
    });
    expect(models.jobs.get(job)).toMatchObject({ status: 'failed', error: { ...failure, violations: [], details: { templateId: TEMPLATE, imageStoreId: STORE } } });
  });

  it('updates, copies to another zone (requested, copied or failed), deletion', () => {
    const models = new ImageReadModels().apply(registrationRequested(randomUUID()), registered(randomUUID(), 2));
    models.apply(event('TemplateUpdated', TEMPLATE, 3, { templateId: TEMPLATE, changes: { name: 'debian-12-lts', public: true } }));
    expect(models.templates.get(TEMPLATE)).toMatchObject({ name: 'debian-12-lts', public: true, osType: 'debian12' });
    models.apply(event('TemplateCopyRequested', TEMPLATE, 4, { templateId: TEMPLATE, fromImageStoreId: STORE, toImageStoreId: STORE_2, zoneId: 'zone-2' }));
    expect(models.templates.get(TEMPLATE)?.copies.map((c) => [c.zoneId, c.status])).toEqual([
      ['zone-1', 'ready'],
      ['zone-2', 'transferring'],
    ]);
    // A copy's progress is not the registration's.
    models.apply(event('TemplateTransferProgressed', TEMPLATE, 5, { templateId: TEMPLATE, imageStoreId: STORE_2, bytesDone: 1, bytesTotal: 10, percent: 10 }));
    expect(models.templates.get(TEMPLATE)?.transferPercent).toBe(100);
    models.apply(event('TemplateCopyFailed', TEMPLATE, 6, { templateId: TEMPLATE, imageStoreId: STORE_2, error: failure }));
    expect(models.templates.get(TEMPLATE)?.copies[1]).toEqual({ imageStoreId: STORE_2, zoneId: 'zone-2', status: 'failed', file: null, error: failure });
    models.apply(event('TemplateCopied', TEMPLATE, 7, { templateId: TEMPLATE, imageStoreId: STORE_2, zoneId: 'zone-2', file: 'f' }));
    expect(models.templates.get(TEMPLATE)?.copies[1]).toEqual({ imageStoreId: STORE_2, zoneId: 'zone-2', status: 'ready', file: 'f', error: null });
    models.apply(event('TemplateDeletionRequested', TEMPLATE, 8, { templateId: TEMPLATE }));
    expect(models.templates.get(TEMPLATE)?.status).toBe('deleting');
    models.apply(event('TemplateDeleted', TEMPLATE, 9, { templateId: TEMPLATE }));
    expect(models.templates.get(TEMPLATE)).toMatchObject({ status: 'deleted', copies: [], version: 9 });
    // Redelivered older events change nothing.
    models.apply(event('TemplateUpdated', TEMPLATE, 3, { templateId: TEMPLATE, changes: { name: 'old' } }));
    expect(models.templates.get(TEMPLATE)?.name).toBe('debian-12-lts');
  });

  it('an event of a template never seen registered makes no row', () => {
    const models = new ImageReadModels().apply(event('TemplateUpdated', TEMPLATE, 2, { templateId: TEMPLATE, changes: { name: 'x' } }));
    expect(models.templates.size).toBe(0);
  });

  it('a cached base: spooling, joined, ready; then retiring, blocked, removed', () => {
    const base = { baseId: BASE, templateId: TEMPLATE, poolId: POOL };
    const models = new ImageReadModels();
    const requested = event('TemplateSpoolRequested', BASE, 1, { ...base, volumeId: BASE_VOLUME, snapshotId: BASE_SNAPSHOT, sizeBytes: 10 * GiB, attempt: 1 });
    models.apply(requested);
    expect(models.bases.get(BASE)).toEqual({
      id: BASE,
      templateId: TEMPLATE,
      poolId: POOL,
      volumeId: BASE_VOLUME,
      snapshotId: BASE_SNAPSHOT,
      status: 'spooling',
      attempt: 1,
      error: null,
      version: 1,
      createdAt: requested.occurredAt,
      updatedAt: requested.occurredAt,
    });
    models.apply(event('TemplateSpoolJoined', BASE, 2, base), event('TemplateBaseVolumeCreated', BASE, 3, { baseId: BASE, volumeId: BASE_VOLUME }));
    expect(models.bases.get(BASE)).toMatchObject({ status: 'spooling', version: 3 });
    models.apply(event('TemplateSpooled', BASE, 4, { ...base, volumeId: BASE_VOLUME, snapshotId: BASE_SNAPSHOT, sizeBytes: 10 * GiB }));
    expect(models.bases.get(BASE)).toMatchObject({ status: 'ready', volumeId: BASE_VOLUME, snapshotId: BASE_SNAPSHOT });
    models.apply(event('TemplateBaseRetirementRequested', BASE, 5, { baseId: BASE, volumeId: BASE_VOLUME }));
    expect(models.bases.get(BASE)?.status).toBe('retiring');
    models.apply(event('TemplateBaseRetirementBlocked', BASE, 6, { baseId: BASE, reason: '2 volumes are clones of it' }));
    expect(models.bases.get(BASE)).toMatchObject({ status: 'retiring', error: { code: 'template_base.retirement_blocked', message: '2 volumes are clones of it' } });
    models.apply(event('TemplateBaseRemoved', BASE, 7, { baseId: BASE, volumeId: BASE_VOLUME }));
    expect(models.bases.get(BASE)?.status).toBe('removed');
  });

  it('a failed spool; a later attempt spools again', () => {
    const base = { baseId: BASE, templateId: TEMPLATE, poolId: POOL };
    const models = new ImageReadModels();
    models.apply(
      event('TemplateSpoolRequested', BASE, 1, { ...base, volumeId: BASE_VOLUME, snapshotId: BASE_SNAPSHOT, sizeBytes: GiB, attempt: 1 }),
      event('TemplateSpoolFailed', BASE, 2, { ...base, error: failure }),
    );
    expect(models.bases.get(BASE)).toMatchObject({ status: 'failed', error: failure, attempt: 1 });
    const volume2 = randomUUID();
    models.apply(event('TemplateSpoolRequested', BASE, 3, { ...base, volumeId: volume2, snapshotId: randomUUID(), sizeBytes: GiB, attempt: 2 }));
    expect(models.bases.get(BASE)).toMatchObject({ status: 'spooling', error: null, attempt: 2, volumeId: volume2 });
  });

  it('a TemplateSpooled with no request projected before it shows the base ready', () => {
    const models = new ImageReadModels().apply(event('TemplateSpooled', BASE, 3, { baseId: BASE, templateId: TEMPLATE, poolId: POOL, volumeId: BASE_VOLUME, snapshotId: BASE_SNAPSHOT, sizeBytes: GiB }));
    expect(models.bases.get(BASE)).toMatchObject({ status: 'ready', attempt: 1, templateId: TEMPLATE, poolId: POOL });
  });

  it('refuses (for the dead-letter topic) an image event without the fields the projection reads', () => {
    const read = readEvent({
      messageId: randomUUID(),
      kind: 'event',
      type: 'TemplateSpooled',
      schemaVersion: 1,
      aggregateId: BASE,
      streamVersion: 1,
      occurredAt: new Date().toISOString(),
      correlationId: 'c',
      causationId: null,
      tenant: null,
      data: { baseId: BASE, templateId: TEMPLATE, poolId: POOL, volumeId: 'nope', sizeBytes: -1 },
    });
    expect(read).toEqual({ ok: false, reason: expect.stringContaining('data.volumeId must be a UUID; data.snapshotId must be a UUID; data.sizeBytes must be a non-negative integer') });
  });

  it('targets the aggregate row of each kind of image event, and the job of its command', () => {
    const job = randomUUID();
    expect(projectionTargets(event('ImageStoreRemoved', STORE, 2, { imageStoreId: STORE }, job))).toEqual({ imageStoreId: STORE, jobId: job });
    expect(projectionTargets(event('TemplateDeleted', TEMPLATE, 2, { templateId: TEMPLATE }, job))).toEqual({ templateId: TEMPLATE, jobId: job });
    expect(projectionTargets(event('TemplateTransferProgressed', TEMPLATE, 2, { templateId: TEMPLATE, imageStoreId: STORE, bytesDone: 1, bytesTotal: 2, percent: 50 }, job))).toEqual({
      templateId: TEMPLATE,
      jobId: job,
    });
    expect(projectionTargets(event('TemplateSpoolJoined', BASE, 2, { baseId: BASE, templateId: TEMPLATE, poolId: POOL }, job))).toEqual({ templateBaseId: BASE, jobId: job });
  });
});
