import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uploadToken } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { eventually } from '@strata/testing';
import { TemplateRecovery } from './templates/application/template-recovery';
import { putFile, sha256File, startImageHarness, startImageServer, type ImageHarness, type ImageServer } from './testing/image-harness.spec';

const MiB = 2 ** 20;
const hex = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');
const exists = (file: string) => stat(file).then(() => true, () => false);

/** qemu-img is required: without it nothing can be verified, so its absence fails the suite (never skips it). */
function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8' });
}

/**
 * Templates on real directory image stores, through Kafka: downloads from a local HTTP server
 * (with Range), uploads over the service's own HTTP endpoint, qemu-img's verdict on real
 * QCOW2 and raw files, copies between zones and deletion.
 */
describe('image service: image stores and templates', () => {
  let h: ImageHarness;
  let server: ImageServer;
  let dir: string;
  const store1 = randomUUID();
  const store2 = randomUUID();
  let store1Dir: string;
  let store2Dir: string;
  let rawImage: Buffer;
  let qcow2Image: Buffer;
  let qcow2Path: string;
  let isoImage: Buffer;
  let backedImage: Buffer;

  const register = (templateId: string, data: Record<string, unknown>) =>
    h.send('RegisterTemplate', templateId, { name: `t-${templateId.slice(0, 8)}`, kind: 'template', format: 'qcow2', zoneId: 'z1', ...data });
  const fileIn = (storeDir: string, templateId: string, format = 'qcow2') => path.join(storeDir, 'templates', `${templateId}.${format}`);

  beforeAll(async () => {
    qemuImg('--version');
    dir = await mkdtemp(path.join(tmpdir(), 'strata-image-'));
    store1Dir = path.join(dir, 'store-z1');
    store2Dir = path.join(dir, 'store-z2');
    await mkdir(store1Dir);
    await mkdir(store2Dir);
    // 8 MiB of a recognisable pattern (each 64 KiB block repeats its own number), so qcow2 keeps every cluster.
    rawImage = Buffer.alloc(8 * MiB);
    for (let block = 0; block < rawImage.length / 65536; block++) rawImage.fill(`block-${block}|`, block * 65536, (block + 1) * 65536);
    const rawPath = path.join(dir, 'disk.raw');
    await writeFile(rawPath, rawImage);
    qcow2Path = path.join(dir, 'disk.qcow2');
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', rawPath, qcow2Path);
    qcow2Image = await readFile(qcow2Path);
    qemuImg('create', '-f', 'qcow2', '-b', qcow2Path, '-F', 'qcow2', path.join(dir, 'child.qcow2'));
    backedImage = await readFile(path.join(dir, 'child.qcow2'));
    isoImage = Buffer.alloc(64 * 1024);
    isoImage.write('\x01CD001\x01', 32768, 'latin1');

    server = await startImageServer();
    h = await startImageHarness('image');
  });

  afterAll(async () => {
    await h?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds an image store per zone, measured with statfs, and refuses a bad path naming data.path', async () => {
    expect(await h.outcome(await h.send('AddImageStore', store1, { name: 'sec-z1', zoneId: 'z1', path: store1Dir }))).toMatchObject({
      type: 'ImageStoreAdded',
      data: { imageStoreId: store1, zoneId: 'z1', path: store1Dir, capacityBytes: expect.any(Number), freeBytes: expect.any(Number) },
    });
    const added = h.events.find((e) => e.type === 'ImageStoreAdded' && e.aggregateId === store1)!;
    expect((added.data as { capacityBytes: number }).capacityBytes).toBeGreaterThan(0);
    expect(await h.outcome(await h.send('AddImageStore', store2, { name: 'sec-z2', zoneId: 'z2', path: store2Dir }))).toMatchObject({ type: 'ImageStoreAdded' });
    // A second store in a zone is allowed; new templates keep going to the zone's oldest (asserted below).
    const second = path.join(dir, 'store-z1-b');
    await mkdir(second);
    expect(await h.outcome(await h.send('AddImageStore', randomUUID(), { name: 'sec-z1-b', zoneId: 'z1', path: second }))).toMatchObject({ type: 'ImageStoreAdded' });

    const missing = path.join(dir, 'nowhere');
    expect(await h.outcome(await h.send('AddImageStore', randomUUID(), { name: 'bad', zoneId: 'z3', path: missing }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'imagestore.path_unusable', message: expect.stringContaining('does not exist') }, violations: [{ field: 'data.path' }] },
    });
    const aFile = path.join(dir, 'disk.raw');
    expect(await h.outcome(await h.send('AddImageStore', randomUUID(), { name: 'bad', zoneId: 'z3', path: aFile }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'imagestore.path_unusable', message: expect.stringContaining('is not a directory') } },
    });
    expect(await h.outcome(await h.send('AddImageStore', store1, { name: 'again', zoneId: 'z1', path: store1Dir }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'imagestore.already_exists' } },
    });
  });

  let ready: string;

  it('registers a QCOW2 from a URL: progress, then TemplateRegistered with the real format, virtual size and sha256', async () => {
    ready = randomUUID();
    const url = server.serve('/debian.qcow2', { body: qcow2Image });
    const command = await register(ready, { url, checksum: { algorithm: 'sha256', value: hex('sha256', qcow2Image).toUpperCase() } });
    expect(await h.eventFor('TemplateRegistrationRequested', command)).toMatchObject({
      data: { templateId: ready, imageStoreId: store1, source: { kind: 'url', url }, checksum: { algorithm: 'sha256', value: hex('sha256', qcow2Image) } },
    });
    expect(await h.outcome(command)).toMatchObject({
      type: 'TemplateRegistered',
      data: {
        templateId: ready,
        imageStoreId: store1,
        zoneId: 'z1',
        file: `templates/${ready}.qcow2`,
        format: 'qcow2',
        virtualSizeBytes: 8 * MiB,
        physicalSizeBytes: qcow2Image.length,
        sha256: hex('sha256', qcow2Image),
      },
    });
    const progress = h.events.filter((e) => e.type === 'TemplateTransferProgressed' && e.aggregateId === ready);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0].data).toMatchObject({ templateId: ready, bytesTotal: qcow2Image.length, percent: expect.any(Number) });
    expect(progress[0].causationId).toBe(command);
    expect(await sha256File(fileIn(store1Dir, ready))).toBe(hex('sha256', qcow2Image));
    expect(await exists(`${fileIn(store1Dir, ready)}.part`)).toBe(false);
  });

  it('refuses a file whose sha256 or md5 differs from the declared one, with both values, and removes it', async () => {
    const url = server.serve('/sum.qcow2', { body: qcow2Image });
    const wrongSha = 'b'.repeat(64);
    const sha = randomUUID();
    expect(await h.outcome(await register(sha, { url, checksum: { algorithm: 'sha256', value: wrongSha } }))).toMatchObject({
      type: 'TemplateRegistrationFailed',
      data: { error: { code: 'image.checksum_mismatch', message: `sha256 of the file is ${hex('sha256', qcow2Image)}, but ${wrongSha} was declared` } },
    });
    const md5 = randomUUID();
    expect(await h.outcome(await register(md5, { url, checksum: { algorithm: 'md5', value: 'c'.repeat(32) } }))).toMatchObject({
      type: 'TemplateRegistrationFailed',
      data: { error: { code: 'image.checksum_mismatch', message: expect.stringContaining(hex('md5', qcow2Image)) } },
    });
    expect(await exists(fileIn(store1Dir, sha))).toBe(false);
    expect(await exists(`${fileIn(store1Dir, md5)}.part`)).toBe(false);
    const good = randomUUID();
    expect(await h.outcome(await register(good, { url, checksum: { algorithm: 'md5', value: hex('md5', qcow2Image) } }))).toMatchObject({ type: 'TemplateRegistered' });
  });

  it('refuses a format other than the declared one: raw that is qcow2, qcow2 that is raw, an ISO without signature, a backing file', async () => {
    const qcowUrl = server.serve('/really.qcow2', { body: qcow2Image });
    const rawUrl = server.serve('/really.raw', { body: rawImage });
    expect(await h.outcome(await register(randomUUID(), { url: qcowUrl, format: 'raw' }))).toMatchObject({
      type: 'TemplateRegistrationFailed',
      data: { error: { code: 'image.format_mismatch', message: 'declared raw, but the file is qcow2' } },
    });
    expect(await h.outcome(await register(randomUUID(), { url: rawUrl, format: 'qcow2' }))).toMatchObject({
      type: 'TemplateRegistrationFailed',
      data: { error: { code: 'image.format_mismatch', message: 'declared qcow2, but the file is raw' } },
    });
    expect(await h.outcome(await register(randomUUID(), { url: rawUrl, kind: 'iso', format: 'iso' }))).toMatchObject({
      type: 'TemplateRegistrationFailed',
      data: { error: { code: 'image.format_mismatch', message: expect.stringContaining('CD001') } },
    });
    const backed = server.serve('/child.qcow2', { body: backedImage });
    expect(await h.outcome(await register(randomUUID(), { url: backed }))).toMatchObject({
      type: 'TemplateRegistrationFailed',
      data: { error: { code: 'image.unreadable', message: expect.stringContaining('backing file') } },
    });
  });

  it('registers a raw image and an ISO with their sizes', async () => {
    const raw = randomUUID();
    expect(await h.outcome(await register(raw, { url: server.serve('/plain.raw', { body: rawImage }), format: 'raw' }))).toMatchObject({
      type: 'TemplateRegistered',
      data: { format: 'raw', virtualSizeBytes: rawImage.length, file: `templates/${raw}.raw` },
    });
    const iso = randomUUID();
    expect(await h.outcome(await register(iso, { url: server.serve('/boot.iso', { body: isoImage }), kind: 'iso', format: 'iso' }))).toMatchObject({
      type: 'TemplateRegistered',
      data: { format: 'iso', virtualSizeBytes: isoImage.length, sha256: hex('sha256', isoImage) },
    });
  });

  it('fails a download the server refuses, with the HTTP status; refuses a zone without image store', async () => {
    const url = server.serve('/gone.qcow2', { body: Buffer.alloc(0), status: 404 });
    expect(await h.outcome(await register(randomUUID(), { url }))).toMatchObject({
      type: 'TemplateRegistrationFailed',
      data: { error: { code: 'image.download_failed', message: expect.stringContaining('HTTP 404') } },
    });
    expect(await h.outcome(await register(randomUUID(), { url, zoneId: 'z9' }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'imagestore.none_in_zone' }, violations: [{ field: 'data.zoneId' }] },
    });
  });

  it('resumes a download whose connection broke midway with a Range request', async () => {
    const templateId = randomUUID();
    const cut = 3 * MiB + 17;
    const url = server.serve('/flaky.qcow2', { body: qcow2Image, breakFirstAt: cut });
    expect(await h.outcome(await register(templateId, { url }))).toMatchObject({ type: 'TemplateRegistered', data: { sha256: hex('sha256', qcow2Image) } });
    const [first, again, ...more] = server.requestsFor('/flaky.qcow2').map((r) => r.range);
    expect(first).toBeNull();
    // What the server wrote last before the reset may never arrive: the resume starts where the file ends, at most the cut.
    const from = Number(/^bytes=(\d+)-$/.exec(again ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(cut);
    expect(more).toEqual([]);
    expect(await sha256File(fileIn(store1Dir, templateId))).toBe(hex('sha256', qcow2Image));
  });

  it('resumes a download after the service restarts mid-transfer, from the partial file', async () => {
    const templateId = randomUUID();
    // About 12 s for the whole file: long enough to stop the service halfway (closing the app takes seconds).
    const url = server.serve('/slow.qcow2', { body: qcow2Image, throttle: Math.ceil(qcow2Image.length / 240) });
    const command = await register(templateId, { url });
    const part = `${fileIn(store1Dir, templateId)}.part`;
    await eventually('a third of the file on disk', async () => ((await stat(part).catch(() => null))?.size ?? 0) > qcow2Image.length / 3 || undefined);
    await h.restart();
    const done = await h.outcome(command, 60_000);
    expect(done).toMatchObject({ type: 'TemplateRegistered', causationId: command, data: { sha256: hex('sha256', qcow2Image) } });
    const ranges = server.requestsFor('/slow.qcow2').map((r) => r.range);
    expect(ranges[0]).toBeNull();
    // The bytes on disk before the restart are not fetched again.
    const resumedFrom = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? '')?.[1] ?? 0));
    expect(Math.max(...resumedFrom)).toBeGreaterThan(qcow2Image.length / 3);
    expect(await sha256File(fileIn(store1Dir, templateId))).toBe(hex('sha256', qcow2Image));
  });

  it('takes an upload over PUT with the token (403 without it, 404 unknown, 409 once done) and verifies it', async () => {
    const templateId = randomUUID();
    const command = await register(templateId, { upload: true, checksum: { algorithm: 'sha1', value: hex('sha1', qcow2Image) } });
    expect(await h.eventFor('TemplateRegistrationRequested', command)).toMatchObject({ data: { source: { kind: 'upload' } } });
    const token = uploadToken(h.infra.secretKey, templateId);
    expect((await putFile(`${h.baseUrl}/uploads/${templateId}?token=wrong`, qcow2Path)).status).toBe(403);
    expect((await putFile(`${h.baseUrl}/uploads/${templateId}`, qcow2Path)).status).toBe(403);
    const unknown = randomUUID();
    expect((await putFile(`${h.baseUrl}/uploads/${unknown}?token=${uploadToken(h.infra.secretKey, unknown)}`, qcow2Path)).status).toBe(404);

    // A body Nest's JSON parser takes (413 past its limit, else 415 from the controller) is refused rather than taken as empty.
    expect([413, 415]).toContain((await putFile(`${h.baseUrl}/uploads/${templateId}?token=${token}`, qcow2Path, 'application/json')).status);

    const put = await putFile(`${h.baseUrl}/uploads/${templateId}?token=${token}`, qcow2Path);
    expect(put).toMatchObject({ status: 200, body: { templateId, status: 'ready' } });
    expect(await h.outcome(command)).toMatchObject({ type: 'TemplateRegistered', data: { format: 'qcow2', virtualSizeBytes: 8 * MiB, sha256: hex('sha256', qcow2Image) } });
    expect((await putFile(`${h.baseUrl}/uploads/${templateId}?token=${token}`, qcow2Path)).status).toBe(409);
    expect(JSON.stringify(h.events)).not.toContain(token);
  });

  it('updates only what changes', async () => {
    const command = await h.send('UpdateTemplate', ready, { description: 'Debian 12', osType: 'debian', public: false });
    expect(await h.outcome(command)).toMatchObject({ type: 'TemplateUpdated', data: { templateId: ready, changes: { description: 'Debian 12', osType: 'debian' } } });
    const updated = h.events.find((e) => e.causationId === command)!;
    expect(updated.data).toEqual({ templateId: ready, changes: { description: 'Debian 12', osType: 'debian' } });
  });

  it('copies a ready template to the other zone from the existing copy, without downloading again', async () => {
    const before = server.requestsFor('/debian.qcow2').length;
    const command = await h.send('CopyTemplate', ready, { zoneId: 'z2' });
    expect(await h.eventFor('TemplateCopyRequested', command)).toMatchObject({ data: { fromImageStoreId: store1, toImageStoreId: store2, zoneId: 'z2' } });
    expect(await h.outcome(command)).toMatchObject({ type: 'TemplateCopied', data: { templateId: ready, imageStoreId: store2, zoneId: 'z2', file: `templates/${ready}.qcow2` } });
    expect(await sha256File(fileIn(store2Dir, ready))).toBe(hex('sha256', qcow2Image));
    expect(server.requestsFor('/debian.qcow2')).toHaveLength(before);
    expect(await h.outcome(await h.send('CopyTemplate', ready, { zoneId: 'z2' }))).toMatchObject({
      type: 'CommandRejected',
      data: { error: { code: 'template.already_in_zone' } },
    });
  });

  it('refuses to remove a store templates are on, listing them; deletes a template with every copy; then the store goes', async () => {
    const refused = await h.outcome(await h.send('RemoveImageStore', store2, {}));
    expect(refused).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'imagestore.in_use', message: expect.stringContaining(ready) } } });
    expect((refused.data as { details: { templateIds: string[] } }).details.templateIds).toEqual([ready]);

    const command = await h.send('DeleteTemplate', ready, {});
    expect(await h.outcome(command)).toMatchObject({ type: 'TemplateDeleted', data: { templateId: ready } });
    expect(await exists(fileIn(store1Dir, ready))).toBe(false);
    expect(await exists(fileIn(store2Dir, ready))).toBe(false);
    expect(await h.outcome(await h.send('RemoveImageStore', store2, {}))).toMatchObject({ type: 'ImageStoreRemoved', data: { imageStoreId: store2 } });
  });

  it('stops a download when its template is deleted, and leaves no file behind', async () => {
    const templateId = randomUUID();
    const url = server.serve('/stopped.qcow2', { body: qcow2Image, throttle: Math.ceil(qcow2Image.length / 100) });
    await register(templateId, { url });
    const part = `${fileIn(store1Dir, templateId)}.part`;
    await eventually('the download under way', async () => (await exists(part)) || undefined);
    expect(await h.outcome(await h.send('DeleteTemplate', templateId, {}))).toMatchObject({ type: 'TemplateDeleted' });
    // Long enough for a download that was not stopped to write on (the whole file takes 5 s).
    await new Promise((r) => setTimeout(r, 1500));
    expect(await exists(part)).toBe(false);
    expect(h.events.filter((e) => e.aggregateId === templateId).map((e) => e.type)).not.toContain('TemplateRegistrationFailed');
    expect(await exists(fileIn(store1Dir, templateId))).toBe(false);
  });

  it('finishes a copy and a deletion that a crash left without outcome, under the intent\'s causation', async () => {
    const templateId = randomUUID();
    expect(await h.outcome(await register(templateId, { url: server.serve('/recover.qcow2', { body: qcow2Image }) }))).toMatchObject({ type: 'TemplateRegistered' });
    const store3 = randomUUID();
    const store3Dir = path.join(dir, 'store-z3');
    await mkdir(store3Dir);
    expect(await h.outcome(await h.send('AddImageStore', store3, { name: 'sec-z3', zoneId: 'z3', path: store3Dir }))).toMatchObject({ type: 'ImageStoreAdded' });
    const events = h.app.get(PgEventStore);
    // The intent as a handler records it, then the process dies before the file work.
    const crashAfter = async (type: string, data: unknown) => {
      const stream = `template-${templateId}`;
      const version = (await events.readStream(stream)).length;
      const causationId = randomUUID();
      const messageId = randomUUID();
      await events.append(
        stream,
        version,
        [{ messageId, type, schemaVersion: 1, aggregateId: templateId, occurredAt: new Date().toISOString(), correlationId: causationId, causationId, tenant: 'acme', data }],
        { outboxTopic: h.topics.imageEvents },
      );
      await h.app.get(TemplateRecovery).sweep(0);
      return causationId;
    };
    const copy = await crashAfter('TemplateCopyRequested', { templateId, fromImageStoreId: store1, toImageStoreId: store3, zoneId: 'z3' });
    expect(await h.outcome(copy)).toMatchObject({ type: 'TemplateCopied', data: { imageStoreId: store3, zoneId: 'z3' } });
    expect(await sha256File(fileIn(store3Dir, templateId))).toBe(hex('sha256', qcow2Image));
    const del = await crashAfter('TemplateDeletionRequested', { templateId });
    expect(await h.outcome(del)).toMatchObject({ type: 'TemplateDeleted' });
    expect(await exists(fileIn(store3Dir, templateId))).toBe(false);
    expect(await exists(fileIn(store1Dir, templateId))).toBe(false);
  });

  it('sends an unreadable message to the dead-letter topic', async () => {
    const before = h.deadLetters.length;
    await h.sendRaw('garbage', 'this is not json');
    await eventually('a dead letter', async () => (h.deadLetters.length > before ? true : undefined));
    expect(h.deadLetters[h.deadLetters.length - 1].value?.toString('utf8')).toBe('this is not json');
  });
});
