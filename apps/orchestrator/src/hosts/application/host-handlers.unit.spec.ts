import { topics as topicNames } from '@strata/contracts';
import type { OutboxRelay, PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { notFound } from '../../errors';
import { ApiExceptionFilter } from '../../http/api-exception.filter';
import type { HostRow } from '../../read-model/domain/rows';
import { DeregisterHostHandler } from './deregister-host.handler';
import type { HostLookup } from './host-lookup';
import { RegisterHostHandler } from './register-host.handler';

const HOST = '00000000-0000-4000-8000-0000000000a1';
const OLD_HOST = '00000000-0000-4000-8000-0000000000a2';
const operator = { tenant: null, correlationId: 'corr-h' };

function setUp() {
  let n = 0;
  const ids: IdGenerator = { newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
  const clock: Clock = { now: () => new Date('2026-11-21T07:00:00.000Z') };
  const queued: { type: string; aggregateId: string; data: unknown; correlationId: string }[] = [];
  const store = {
    transaction: jest.fn(async (work: (m: unknown) => Promise<void>) => work({ getRepository: () => ({ insert: async () => undefined }) })),
    enqueue: jest.fn(async (_m: unknown, message: { payload: never }) => void queued.push(message.payload)),
  };
  const submitter = new CommandSubmitter(store as unknown as PgEventStore, { kick: jest.fn() } as unknown as OutboxRelay, clock, ids, topicNames('t.'));
  const hosts = {
    live: jest.fn(async (id: string) => {
      if (id !== HOST) throw notFound('host', id);
      return { id, status: 'registered' } as HostRow;
    }),
  };
  return { register: new RegisterHostHandler(submitter, ids), deregister: new DeregisterHostHandler(submitter, hosts as unknown as HostLookup), store, queued };
}

describe('POST /hosts: RegisterHost', () => {
  it('gives the host its id and queues the body as sent', async () => {
    const { register, queued } = setUp();
    const body = { name: 'kvm-01', zoneId: 'zone-1', clusterId: 'c1', hypervisor: 'kvm', identities: { linstorNode: 'kvm01', powerflexSdc: '6b3a1c0e00000001', storpoolClientId: 3 } };
    const accepted = await register.execute(body, operator);
    expect(accepted).toEqual({ jobId: expect.any(String), hostId: expect.any(String) });
    expect(queued).toEqual([expect.objectContaining({ type: 'RegisterHost', aggregateId: accepted.hostId, correlationId: 'corr-h', data: body })]);
  });

  it('names every bad field', async () => {
    const { register, store } = setUp();
    const error = await register.execute({ name: '-x', zoneId: '', hypervisor: 'bhyve', identities: { linstorNode: '1bad', storpoolClientId: 0 } }, operator).catch((e: unknown) => e);
    const body = new ApiExceptionFilter().toBody(error);
    expect(body.statusCode).toBe(400);
    expect(body.violations?.map((v) => [v.field, v.rule])).toEqual(
      expect.arrayContaining([
        ['name', 'matches'],
        ['zoneId', 'isNotEmpty'],
        ['hypervisor', 'isIn'],
        ['identities.linstorNode', 'matches'],
        ['identities.storpoolClientId', 'min'],
      ]),
    );
    expect(store.transaction).not.toHaveBeenCalled();
  });
});

describe('DELETE /hosts/{id}: DeregisterHost', () => {
  it('queues DeregisterHost with no data for a registered host', async () => {
    const { deregister, queued } = setUp();
    expect(await deregister.execute(HOST, operator)).toEqual({ jobId: expect.any(String), hostId: HOST });
    expect(queued).toEqual([expect.objectContaining({ type: 'DeregisterHost', aggregateId: HOST, data: {} })]);
  });

  it('answers 404 host.not_found for an unknown or a deregistered host, queueing nothing', async () => {
    const { deregister, store } = setUp();
    for (const id of [OLD_HOST, '00000000-0000-4000-8000-00000000ffff']) {
      const error = await deregister.execute(id, operator).catch((e: unknown) => e);
      expect(new ApiExceptionFilter().toBody(error)).toEqual({ statusCode: 404, code: 'host.not_found', message: `host ${id} does not exist` });
    }
    expect(store.transaction).not.toHaveBeenCalled();
  });
});
