import { topics as topicNames, uploadToken } from '@strata/contracts';
import type { OutboxRelay, PgEventStore } from '@strata/event-store';
import type { Clock, IdGenerator, ServiceConfig } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { notFound } from '../../errors';
import { ApiExceptionFilter } from '../../http/api-exception.filter';
import type { RequestContext } from '../../http/request-context';
import type { TemplateRow, TemplateStatus } from '../../read-model/domain/rows';
import { TemplateCommandsHandler } from './template-commands.handler';
import type { TemplateLookup } from './template-lookup';

const READY = '00000000-0000-4000-8000-0000000000a1';
const REGISTERING = '00000000-0000-4000-8000-0000000000a2';
const DELETED = '00000000-0000-4000-8000-0000000000a3';
const acme: RequestContext = { tenant: 'acme', correlationId: 'corr-1' };
const KEY = Buffer.alloc(32, 3).toString('base64');

/** The template commands down to the outbox, with the database replaced by a recorder. */
function setUp(secretKey: string | null = KEY) {
  let n = 0;
  const ids: IdGenerator = { newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
  const clock: Clock = { now: () => new Date('2026-11-21T07:00:00.000Z') };
  const queued: { topic: string; key: string; payload: { type: string; aggregateId: string; data: unknown } }[] = [];
  const store = {
    transaction: jest.fn(async (work: (m: unknown) => Promise<void>) => work({ getRepository: () => ({ insert: async () => undefined }) })),
    enqueue: jest.fn(async (_m: unknown, message: (typeof queued)[number]) => void queued.push(message)),
  };
  const submitter = new CommandSubmitter(store as unknown as PgEventStore, { kick: jest.fn() } as unknown as OutboxRelay, clock, ids, topicNames('t.'));
  const rows: Record<string, TemplateStatus> = { [READY]: 'ready', [REGISTERING]: 'registering', [DELETED]: 'deleted' };
  const templates = {
    owned: jest.fn(async (id: string) => {
      if (!rows[id]) throw notFound('template', id);
      return { id, status: rows[id], tenant: 'acme' } as TemplateRow;
    }),
  };
  const config = { secretKey } as ServiceConfig;
  const handler = new TemplateCommandsHandler(submitter, templates as unknown as TemplateLookup, ids, config, 'http://images.test:8084');
  return { handler, store, queued };
}

async function refusal(run: (h: TemplateCommandsHandler) => Promise<unknown>, secretKey: string | null = KEY) {
  const { handler, store } = setUp(secretKey);
  const error = await run(handler).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(store.transaction).not.toHaveBeenCalled();
  return new ApiExceptionFilter().toBody(error);
}

const body = { name: 'debian-12', kind: 'template', format: 'qcow2', zoneId: 'zone-1' };

describe('template commands', () => {
  it('POST /templates queues RegisterTemplate on the image commands topic, keyed by a new template id', async () => {
    const { handler, queued } = setUp();
    const accepted = await handler.register({ ...body, url: 'https://images.example/d.qcow2' }, acme);
    expect(accepted).toEqual({ jobId: expect.any(String), templateId: expect.any(String) });
    expect(queued.map((q) => [q.topic, q.key, q.payload.type, q.payload.aggregateId])).toEqual([
      ['t.strata.image.commands', accepted.templateId, 'RegisterTemplate', accepted.templateId],
    ]);
  });

  it('by upload, answers the signed upload URL; the command carries no token', async () => {
    const { handler, queued } = setUp();
    const accepted = await handler.register({ ...body, upload: true }, acme);
    const token = uploadToken(KEY, accepted.templateId);
    expect(accepted.uploadUrl).toBe(`http://images.test:8084/uploads/${accepted.templateId}?token=${token}`);
    expect(JSON.stringify(queued)).not.toContain(token);
  });

  it('refuses an upload without a secret key, naming upload, with the body\'s other faults in the same answer', async () => {
    expect(await refusal((h) => h.register({ ...body, upload: true }, acme), null)).toEqual({
      statusCode: 400,
      code: 'request.invalid',
      message: expect.stringContaining('invalid upload'),
      violations: [{ field: 'upload', rule: 'uploadUnavailable', message: expect.stringContaining('STRATA_SECRET_KEY') }],
    });
    const both = await refusal((h) => h.register({ ...body, name: '-bad', upload: true }, acme), null);
    expect(both.violations?.map((v) => v.field)).toEqual(['name', 'upload']);
  });

  it('PATCH, DELETE and copies queue their commands; 404 for an unknown template, 409 for a deleted one, a copy only of a ready one', async () => {
    const { handler, queued } = setUp();
    await handler.update(READY, { public: true }, acme);
    await handler.delete(READY, acme);
    await handler.copy(READY, { zoneId: 'zone-2' }, acme);
    expect(queued.map((q) => [q.topic, q.payload.type, q.payload.data])).toEqual([
      ['t.strata.image.commands', 'UpdateTemplate', { public: true }],
      ['t.strata.image.commands', 'DeleteTemplate', {}],
      ['t.strata.image.commands', 'CopyTemplate', { zoneId: 'zone-2' }],
    ]);
    expect((await refusal((h) => h.delete('00000000-0000-4000-8000-0000000000ff', acme))).code).toBe('template.not_found');
    expect((await refusal((h) => h.update(DELETED, { public: true }, acme))).code).toBe('template.already_deleted');
    expect(await refusal((h) => h.copy(REGISTERING, { zoneId: 'zone-2' }, acme))).toMatchObject({
      statusCode: 409,
      code: 'template.not_ready',
      violations: [expect.objectContaining({ field: 'status' })],
    });
  });
});
