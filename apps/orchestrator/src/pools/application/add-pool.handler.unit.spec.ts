import { topics as topicNames } from '@strata/contracts';
import type { OutboxRelay, PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { ApiExceptionFilter } from '../../http/api-exception.filter';
import { registeredPlugins } from '../../plugins/application/plugin-registry';
import { AddPoolHandler } from './add-pool.handler';

/** POST /pools down to the outbox, with the database replaced by a recorder. */
function setUp() {
  let n = 0;
  const ids: IdGenerator = { newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
  const clock: Clock = { now: () => new Date('2026-11-21T07:00:00.000Z') };
  const queued: unknown[] = [];
  const store = {
    transaction: jest.fn(async (work: (m: unknown) => Promise<void>) => work({ getRepository: () => ({ insert: async () => undefined }) })),
    enqueue: jest.fn(async (_m: unknown, message: { payload: unknown }) => void queued.push(message.payload)),
  };
  const relay = { kick: jest.fn() };
  const submitter = new CommandSubmitter(store as unknown as PgEventStore, relay as unknown as OutboxRelay, clock, ids, topicNames('t.'));
  return { handler: new AddPoolHandler(submitter, ids, registeredPlugins), store, queued };
}

const operator = { tenant: null, correlationId: null };

async function refusal(body: unknown) {
  const { handler, store } = setUp();
  const error = await handler.execute(body, operator).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(store.transaction).not.toHaveBeenCalled();
  return new ApiExceptionFilter().toBody(error);
}

describe('POST /pools checks the plugin settings before queueing', () => {
  it('answers 400 naming the config field, and queues nothing', async () => {
    const body = await refusal({ name: 'sp-1', plugin: 'storpool', zoneId: 'z1', config: { host: 'sp.example', port: 0, authToken: 'Tk-83jd92kd', template: 'hdd' } });
    expect(body).toEqual({
      statusCode: 400,
      code: 'request.invalid',
      message: 'invalid config.port: config.port must not be less than 1',
      violations: [{ field: 'config.port', rule: 'min', message: 'config.port must not be less than 1' }],
    });
  });

  it('lists the command rules and the plugin rules in one answer', async () => {
    const body = await refusal({ name: '-bad', plugin: 'file', zoneId: 'z1', config: { path: 'relative' } });
    expect(body.violations?.map((v) => [v.field, v.rule])).toEqual([
      ['name', 'matches'],
      ['config.path', 'isAbsolutePath'],
    ]);
  });

  it('refuses an unknown plugin with the registered ones', async () => {
    const body = await refusal({ name: 'p', plugin: 'nfs', zoneId: 'z1', config: {} });
    expect(body.violations).toEqual([{ field: 'plugin', rule: 'isIn', message: expect.stringContaining('file, powerflex') }]);
  });

  it('never quotes a password or token from the request', async () => {
    const bodies = await Promise.all([
      refusal({ name: 'pf', plugin: 'powerflex', zoneId: 'z1', url: 'powerflex://admin:Pw-77ab%23x@gw.example' }),
      refusal({ name: 'pf', plugin: 'powerflex', zoneId: 'z1', config: { gatewayUrl: 'https://gw', username: 'a', password: 'Pw-77ab#x' } }),
      refusal({ name: 'sp', plugin: 'storpool', zoneId: 'z1', url: 'SP_API_HTTP=sp:81;SP_AUTH_TOKEN=Pw-77ab#x;SP_TEMPLATE=' }),
      refusal({ name: 'ls', plugin: 'linstor', zoneId: 'z1', url: 'linstor://Pw-77ab%23x@ctl:3370/rg?placeCount=0' }),
    ]);
    for (const body of bodies) {
      expect(body.statusCode).toBe(400);
      expect(JSON.stringify(body)).not.toMatch(/Pw-77ab/);
    }
    expect(bodies.map((b) => b.violations?.[0]?.field)).toEqual(['url.storagePool', 'config.storagePool', 'url.SP_TEMPLATE', 'url.placeCount']);
  });

  it('queues a valid pool with the body as sent: the storage service reads the URL itself', async () => {
    const { handler, queued } = setUp();
    const data = { name: 'ls-1', plugin: 'linstor', zoneId: 'z1', url: 'linstor://tok@ctl:3370/rg_fast' };
    const accepted = await handler.execute(data, operator);
    expect(accepted).toEqual({ poolId: expect.any(String), jobId: expect.any(String) });
    expect(queued).toEqual([expect.objectContaining({ type: 'AddStoragePool', aggregateId: accepted.poolId, messageId: accepted.jobId, data })]);
  });
});
