import { topics as topicNames } from '@strata/contracts';
import type { OutboxRelay, PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { notFound } from '../../errors';
import { ApiExceptionFilter } from '../../http/api-exception.filter';
import type { PoolRow, PoolStatus } from '../../read-model/domain/rows';
import { POOL_SETTING_NAMES } from '../domain/pool-change-request';
import { ChangePoolHandler } from './change-pool.handler';
import type { PoolLookup } from './pool-lookup';

const POOL = '00000000-0000-4000-8000-00000000aaaa';
const GONE = '00000000-0000-4000-8000-00000000dddd';
const operator = { tenant: null, correlationId: 'corr-1' };

/** The commands on a pool down to the outbox, with the database replaced by a recorder. */
function setUp() {
  let n = 0;
  const ids: IdGenerator = { newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
  const clock: Clock = { now: () => new Date('2026-11-21T07:00:00.000Z') };
  const queued: { type: string; aggregateId: string; messageId: string; data: unknown; correlationId: string }[] = [];
  const store = {
    transaction: jest.fn(async (work: (m: unknown) => Promise<void>) => work({ getRepository: () => ({ insert: async () => undefined }) })),
    enqueue: jest.fn(async (_m: unknown, message: { key: string; payload: never }) => void queued.push(message.payload)),
  };
  const relay = { kick: jest.fn() };
  const submitter = new CommandSubmitter(store as unknown as PgEventStore, relay as unknown as OutboxRelay, clock, ids, topicNames('t.'));
  const statuses: Record<string, PoolStatus> = { [POOL]: 'enabled', [GONE]: 'deleted' };
  const pools = {
    live: jest.fn(async (id: string) => {
      if (statuses[id] === undefined || statuses[id] === 'deleted') throw notFound('pool', id);
      return { id, status: statuses[id] } as PoolRow;
    }),
  };
  return { handler: new ChangePoolHandler(submitter, pools as unknown as PoolLookup), store, queued };
}

/** The error answer of a request that must be refused, after checking nothing was queued. */
async function refusal(run: (handler: ChangePoolHandler) => Promise<unknown>) {
  const { handler, store } = setUp();
  const error = await run(handler).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  expect(store.transaction).not.toHaveBeenCalled();
  return new ApiExceptionFilter().toBody(error);
}
const fields = (body: { violations?: readonly { field: string; rule: string }[] }) => body.violations?.map((v) => [v.field, v.rule]);

describe('PATCH /pools/{id}: UpdateStoragePool', () => {
  it('queues the settings as sent, keyed by the pool, and answers the job and the pool', async () => {
    const { handler, queued } = setUp();
    const body = { name: 'fast-02', tags: ['ssd'], hypervisors: ['kvm', 'lxc'], capacityIops: 40000, overProvisioningFactor: 1.5, allocationDisableThreshold: 0.9 };
    const accepted = await handler.update(POOL, body, operator);
    expect(accepted).toEqual({ jobId: expect.any(String), poolId: POOL });
    expect(queued).toEqual([expect.objectContaining({ type: 'UpdateStoragePool', aggregateId: POOL, messageId: accepted.jobId, correlationId: 'corr-1', data: body })]);
  });

  it('names allocationDisableThreshold and the rule max for a threshold of 1.5', async () => {
    const body = await refusal((h) => h.update(POOL, { allocationDisableThreshold: 1.5 }, operator));
    expect(body).toEqual({
      statusCode: 400,
      code: 'request.invalid',
      message: 'invalid allocationDisableThreshold: allocationDisableThreshold must not be greater than 1',
      violations: [{ field: 'allocationDisableThreshold', rule: 'max', message: 'allocationDisableThreshold must not be greater than 1' }],
    });
  });

  it('names every setting that breaks its rule', async () => {
    const body = await refusal((h) =>
      h.update(POOL, { name: '-x', hypervisors: ['kvm', 'bhyve'], capacityIops: 0, overProvisioningFactor: 0.5, allocationDisableThreshold: 0.12345 }, operator),
    );
    expect(fields(body)).toEqual(
      expect.arrayContaining([
        ['name', 'matches'],
        ['hypervisors', 'isIn'],
        ['capacityIops', 'min'],
        ['overProvisioningFactor', 'min'],
        ['allocationDisableThreshold', 'isNumber'],
      ]),
    );
  });

  it('refuses an empty body, listing what may be changed', async () => {
    const body = await refusal((h) => h.update(POOL, {}, operator));
    expect(body.violations).toEqual([{ field: 'body', rule: 'notEmpty', message: `body must set at least one of: ${POOL_SETTING_NAMES.join(', ')}` }]);
    expect(body.statusCode).toBe(400);
  });

  it('refuses unknown fields, backend settings included (they are not changed here)', async () => {
    const body = await refusal((h) => h.update(POOL, { name: 'ok', colour: 'red', config: { path: '/x' } }, operator));
    expect(fields(body)).toEqual(expect.arrayContaining([['colour', 'whitelistValidation'], ['config', 'whitelistValidation']]));
  });

  it('refuses a body that is not an object, or none', async () => {
    for (const sent of [undefined, [], 'name=x']) {
      expect((await refusal((h) => h.update(POOL, sent, operator))).violations).toEqual([{ field: 'body', rule: 'isObject', message: 'body must be a JSON object' }]);
    }
  });

  it('accepts each setting on its own', async () => {
    const values: Record<(typeof POOL_SETTING_NAMES)[number], unknown> = {
      name: 'n-1', tags: [], hypervisors: [], capacityIops: 1, overProvisioningFactor: 100, allocationDisableThreshold: 0.01,
    };
    for (const name of POOL_SETTING_NAMES) {
      const { handler, queued } = setUp();
      await handler.update(POOL, { [name]: values[name] }, operator);
      expect(queued).toHaveLength(1);
    }
  });
});

describe('enable, disable, delete and refresh-capacity', () => {
  it('queue their commands with the data their bodies carry; no body is {}', async () => {
    const { handler, queued } = setUp();
    await handler.enable(POOL, undefined, operator);
    await handler.disable(POOL, { reason: 'backend maintenance' }, operator);
    await handler.disable(POOL, undefined, operator);
    await handler.delete(POOL, operator);
    await handler.refreshCapacity(POOL, {}, operator);
    await handler.reconcile(POOL, undefined, operator);
    await handler.removeOrphan(POOL, { backendName: 'legacy-7' }, operator);
    expect(queued.map((c) => [c.type, c.aggregateId, c.data])).toEqual([
      ['EnableStoragePool', POOL, {}],
      ['DisableStoragePool', POOL, { reason: 'backend maintenance' }],
      ['DisableStoragePool', POOL, {}],
      ['DeleteStoragePool', POOL, {}],
      ['RefreshPoolCapacity', POOL, {}],
      ['ReconcilePool', POOL, {}],
      ['RemoveOrphan', POOL, { backendName: 'legacy-7' }],
    ]);
  });

  it('refuse fields their commands do not take, and a reason too long', async () => {
    expect(fields(await refusal((h) => h.enable(POOL, { force: true }, operator)))).toEqual([['force', 'whitelistValidation']]);
    expect(fields(await refusal((h) => h.refreshCapacity(POOL, { now: 1 }, operator)))).toEqual([['now', 'whitelistValidation']]);
    expect(fields(await refusal((h) => h.disable(POOL, { reason: 'x'.repeat(513) }, operator)))).toEqual([['reason', 'maxLength']]);
    expect(fields(await refusal((h) => h.disable(POOL, { reason: 7 }, operator)))).toEqual(expect.arrayContaining([['reason', 'isString']]));
    expect(fields(await refusal((h) => h.reconcile(POOL, { deep: true }, operator)))).toEqual([['deep', 'whitelistValidation']]);
    expect(fields(await refusal((h) => h.removeOrphan(POOL, {}, operator)))).toEqual(expect.arrayContaining([['backendName', 'isString']]));
    expect(fields(await refusal((h) => h.removeOrphan(POOL, undefined, operator)))).toEqual([['body', 'isObject']]);
  });
});

describe('the pool must be known and not deleted', () => {
  it.each([
    ['update', (h: ChangePoolHandler, id: string) => h.update(id, { name: 'n' }, operator)],
    ['enable', (h: ChangePoolHandler, id: string) => h.enable(id, undefined, operator)],
    ['disable', (h: ChangePoolHandler, id: string) => h.disable(id, undefined, operator)],
    ['delete', (h: ChangePoolHandler, id: string) => h.delete(id, operator)],
    ['refresh-capacity', (h: ChangePoolHandler, id: string) => h.refreshCapacity(id, undefined, operator)],
    ['reconcile', (h: ChangePoolHandler, id: string) => h.reconcile(id, undefined, operator)],
    ['orphans/remove', (h: ChangePoolHandler, id: string) => h.removeOrphan(id, { backendName: 'x' }, operator)],
  ])('%s answers 404 pool.not_found for an unknown or a deleted pool', async (_what, run) => {
    for (const id of ['00000000-0000-4000-8000-00000000ffff', GONE]) {
      expect(await refusal((h) => run(h, id))).toEqual({ statusCode: 404, code: 'pool.not_found', message: `pool ${id} does not exist` });
    }
  });
});
