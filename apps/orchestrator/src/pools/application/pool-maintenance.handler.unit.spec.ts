import { topics as topicNames } from '@strata/contracts';
import type { OutboxRelay, PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { notFound } from '../../errors';
import type { HostLookup } from '../../hosts/application/host-lookup';
import { ApiExceptionFilter } from '../../http/api-exception.filter';
import type { HostRow, PoolRow, PoolStatus } from '../../read-model/domain/rows';
import { PoolMaintenanceHandler } from './pool-maintenance.handler';
import type { PoolLookup } from './pool-lookup';

const POOL = '00000000-0000-4000-8000-00000000aaaa';
const GONE = '00000000-0000-4000-8000-00000000dddd';
const HOST = '00000000-0000-4000-8000-0000000000a1';
const OLD_HOST = '00000000-0000-4000-8000-0000000000a2';
const UNKNOWN = '00000000-0000-4000-8000-00000000ffff';
const operator = { tenant: null, correlationId: 'corr-1' };

/** The maintenance commands down to the outbox, with the database replaced by a recorder. */
function setUp() {
  let n = 0;
  const ids: IdGenerator = { newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
  const clock: Clock = { now: () => new Date('2026-11-21T07:00:00.000Z') };
  const queued: { type: string; aggregateId: string; messageId: string; data: unknown; correlationId: string }[] = [];
  const store = {
    transaction: jest.fn(async (work: (m: unknown) => Promise<void>) => work({ getRepository: () => ({ insert: async () => undefined }) })),
    enqueue: jest.fn(async (_m: unknown, message: { key: string; payload: never }) => void queued.push(message.payload)),
  };
  const submitter = new CommandSubmitter(store as unknown as PgEventStore, { kick: jest.fn() } as unknown as OutboxRelay, clock, ids, topicNames('t.'));
  const statuses: Record<string, PoolStatus> = { [POOL]: 'maintenance', [GONE]: 'deleted' };
  const pools = {
    live: jest.fn(async (id: string) => {
      if (statuses[id] === undefined || statuses[id] === 'deleted') throw notFound('pool', id);
      return { id, status: statuses[id] } as PoolRow;
    }),
  };
  const hostStatus: Record<string, HostRow['status']> = { [HOST]: 'registered', [OLD_HOST]: 'deregistered' };
  const hosts = {
    live: jest.fn(async (id: string) => {
      if (hostStatus[id] !== 'registered') throw notFound('host', id);
      return { id, status: 'registered' } as HostRow;
    }),
  };
  return { handler: new PoolMaintenanceHandler(submitter, pools as unknown as PoolLookup, hosts as unknown as HostLookup), store, queued };
}

async function refusal(run: (handler: PoolMaintenanceHandler) => Promise<unknown>) {
  const { handler, store } = setUp();
  const error = await run(handler).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  expect(store.transaction).not.toHaveBeenCalled();
  return new ApiExceptionFilter().toBody(error);
}

describe('POST and DELETE /pools/{id}/maintenance', () => {
  it('queue EnterPoolMaintenance (body optional) and CancelPoolMaintenance (no body), keyed by the pool', async () => {
    const { handler, queued } = setUp();
    const accepted = await handler.enter(POOL, { dataMoverHostId: HOST }, operator);
    expect(accepted).toEqual({ jobId: expect.any(String), poolId: POOL });
    await handler.enter(POOL, undefined, operator);
    const cancelled = await handler.cancel(POOL, operator);
    expect(cancelled).toEqual({ jobId: expect.any(String), poolId: POOL });
    expect(queued.map((c) => [c.type, c.aggregateId, c.correlationId, c.data])).toEqual([
      ['EnterPoolMaintenance', POOL, 'corr-1', { dataMoverHostId: HOST }],
      ['EnterPoolMaintenance', POOL, 'corr-1', {}],
      ['CancelPoolMaintenance', POOL, 'corr-1', {}],
    ]);
    expect(queued[0].messageId).toBe(accepted.jobId);
  });

  it('answers 404 for an unknown or deleted pool and for a data mover that is not a registered host', async () => {
    for (const run of [(h: PoolMaintenanceHandler) => h.enter(UNKNOWN, {}, operator), (h: PoolMaintenanceHandler) => h.cancel(GONE, operator)]) {
      expect((await refusal(run)).code).toBe('pool.not_found');
    }
    expect(await refusal((h) => h.enter(POOL, { dataMoverHostId: OLD_HOST }, operator))).toEqual({
      statusCode: 404, code: 'host.not_found', message: `host ${OLD_HOST} does not exist`,
    });
  });

  it('names each bad field by its rule', async () => {
    expect((await refusal((h) => h.enter(POOL, { dataMoverHostId: 'kvm-01', force: true }, operator))).violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'dataMoverHostId', rule: 'isUuid' }),
        expect.objectContaining({ field: 'force', rule: 'whitelistValidation' }),
      ]),
    );
  });
});
