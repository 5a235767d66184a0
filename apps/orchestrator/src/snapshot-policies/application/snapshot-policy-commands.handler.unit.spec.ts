import { topics as topicNames } from '@strata/contracts';
import type { OutboxRelay, PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { notFound, snapshotPolicyNotFound } from '../../errors';
import { ApiExceptionFilter } from '../../http/api-exception.filter';
import type { RequestContext } from '../../http/request-context';
import type { SnapshotPolicyRow, SnapshotPolicyStatus, VolumeRow, VolumeStatus } from '../../read-model/domain/rows';
import type { VolumeLookup } from '../../volumes/application/volume-lookup';
import { SnapshotPolicyCommandsHandler } from './snapshot-policy-commands.handler';
import type { SnapshotPolicyLookup } from './snapshot-policy-lookup';

const VOLUME = '00000000-0000-4000-8000-00000000aaaa';
const DELETED_VOLUME = '00000000-0000-4000-8000-00000000dddd';
const POLICY = '00000000-0000-4000-8000-0000000000e1';
const DELETED_POLICY = '00000000-0000-4000-8000-0000000000e2';
const UNKNOWN = '00000000-0000-4000-8000-00000000ffff';
const acme: RequestContext = { tenant: 'acme', correlationId: 'corr-1' };
const globex: RequestContext = { tenant: 'globex', correlationId: null };
const operator: RequestContext = { tenant: null, correlationId: null };
const daily = { kind: 'daily', time: '02:30', timeZone: 'Europe/Berlin' };

/** The snapshot policy commands down to the outbox, with the database replaced by a recorder. */
function setUp() {
  let n = 0;
  const ids: IdGenerator = { newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
  const clock: Clock = { now: () => new Date('2026-11-21T07:00:00.000Z') };
  const queued: { topic: string; key: string; payload: { type: string; aggregateId: string; messageId: string; data: unknown; tenant: string | null } }[] = [];
  const jobs: unknown[] = [];
  const store = {
    transaction: jest.fn(async (work: (m: unknown) => Promise<void>) => work({ getRepository: () => ({ insert: async (row: unknown) => void jobs.push(row) }) })),
    enqueue: jest.fn(async (_m: unknown, message: (typeof queued)[number]) => void queued.push(message)),
  };
  const submitter = new CommandSubmitter(store as unknown as PgEventStore, { kick: jest.fn() } as unknown as OutboxRelay, clock, ids, topicNames('t.'));
  const volumeRows: Record<string, { tenant: string; status: VolumeStatus }> = {
    [VOLUME]: { tenant: 'acme', status: 'ready' },
    [DELETED_VOLUME]: { tenant: 'acme', status: 'deleted' },
  };
  const volumes = {
    visible: jest.fn(async (id: string, context: RequestContext) => {
      const v = volumeRows[id];
      if (!v || (context.tenant !== null && context.tenant !== v.tenant)) throw notFound('volume', id);
      return { id, ...v } as VolumeRow;
    }),
  };
  const policyRows: Record<string, { tenant: string; status: SnapshotPolicyStatus }> = {
    [POLICY]: { tenant: 'acme', status: 'active' },
    [DELETED_POLICY]: { tenant: 'acme', status: 'deleted' },
  };
  const policies = {
    visible: jest.fn(async (id: string, context: RequestContext) => {
      const p = policyRows[id];
      if (!p || (context.tenant !== null && context.tenant !== p.tenant)) throw snapshotPolicyNotFound(id);
      return { id, ...p } as SnapshotPolicyRow;
    }),
  };
  const handler = new SnapshotPolicyCommandsHandler(submitter, volumes as unknown as VolumeLookup, policies as unknown as SnapshotPolicyLookup, ids);
  return { handler, store, queued, jobs };
}

async function refusal(run: (h: SnapshotPolicyCommandsHandler) => Promise<unknown>) {
  const harness = setUp();
  const error = await run(harness.handler).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  expect(harness.store.transaction).not.toHaveBeenCalled();
  return new ApiExceptionFilter().toBody(error);
}
const fields = (body: { violations?: readonly { field: string; rule: string }[] }) => body.violations?.map((v) => [v.field, v.rule]);

describe('snapshot policy commands', () => {
  it('POST /volumes/{id}/snapshot-policies queues CreateSnapshotPolicy on the snapshot commands topic, keyed by a new policy id, with the volume of the path', async () => {
    const { handler, queued, jobs } = setUp();
    const accepted = await handler.create(VOLUME, { schedule: daily, retention: 7 }, acme);
    expect(accepted).toEqual({ jobId: expect.any(String), policyId: expect.any(String) });
    expect(accepted.policyId).not.toBe(accepted.jobId);
    expect(queued).toEqual([
      {
        topic: 't.strata.snapshot.commands',
        key: accepted.policyId,
        payload: expect.objectContaining({
          messageId: accepted.jobId,
          type: 'CreateSnapshotPolicy',
          aggregateId: accepted.policyId,
          tenant: 'acme',
          correlationId: 'corr-1',
          data: { schedule: daily, retention: 7, volumeId: VOLUME },
        }),
      },
    ]);
    expect(jobs).toEqual([expect.objectContaining({ id: accepted.jobId, commandType: 'CreateSnapshotPolicy', aggregateId: accepted.policyId, status: 'accepted' })]);
  });

  it("an operator's policy on a tenant's volume belongs to the volume's tenant, and so does its deletion", async () => {
    const { handler, queued, jobs } = setUp();
    const created = await handler.create(VOLUME, { schedule: { kind: 'hourly', minute: 0, timeZone: 'UTC' }, retention: 24 }, operator);
    const deleted = await handler.delete(POLICY, operator);
    expect(queued.map((q) => [q.payload.type, q.payload.tenant])).toEqual([
      ['CreateSnapshotPolicy', 'acme'],
      ['DeleteSnapshotPolicy', 'acme'],
    ]);
    expect(jobs).toEqual([expect.objectContaining({ id: created.jobId, tenant: 'acme' }), expect.objectContaining({ id: deleted.jobId, tenant: 'acme' })]);
  });

  it('leaves the schedule to the snapshot service: any object passes here, each of the four shapes as it is', async () => {
    const { handler, queued } = setUp();
    const shapes = [
      { kind: 'hourly', minute: 15, timeZone: 'UTC' },
      daily,
      { kind: 'weekly', dayOfWeek: 0, time: '23:00', timeZone: 'America/New_York' },
      { kind: 'monthly', dayOfMonth: 31, time: '01:00', timeZone: 'Europe/Berlin' },
    ];
    for (const schedule of shapes) await handler.create(VOLUME, { schedule, retention: 1 }, acme);
    expect(queued.map((q) => (q.payload.data as { schedule: unknown }).schedule)).toEqual(shapes);
  });

  it('DELETE /snapshot-policies/{id} queues DeleteSnapshotPolicy on the snapshot commands topic, keyed by the policy', async () => {
    const { handler, queued } = setUp();
    expect(await handler.delete(POLICY, acme)).toEqual({ jobId: expect.any(String), policyId: POLICY });
    expect(queued.map((q) => [q.topic, q.key, q.payload.type, q.payload.aggregateId, q.payload.data])).toEqual([
      ['t.strata.snapshot.commands', POLICY, 'DeleteSnapshotPolicy', POLICY, {}],
    ]);
  });

  it('names each bad field of a policy request by its rule, and queues nothing', async () => {
    expect(fields(await refusal((h) => h.create(VOLUME, { schedule: daily, retention: 0 }, acme)))).toEqual([['retention', 'min']]);
    expect(fields(await refusal((h) => h.create(VOLUME, { schedule: daily, retention: 1001 }, acme)))).toEqual([['retention', 'max']]);
    expect(fields(await refusal((h) => h.create(VOLUME, { schedule: 'daily', retention: 1.5 }, acme)))).toEqual(
      expect.arrayContaining([
        ['schedule', 'isObject'],
        ['retention', 'isInt'],
      ]),
    );
    expect(fields(await refusal((h) => h.create(VOLUME, { schedule: daily, retention: 1, volumeId: UNKNOWN }, acme)))).toEqual([['volumeId', 'whitelistValidation']]);
    expect(fields(await refusal((h) => h.create(VOLUME, { schedule: daily, retention: 1, enabled: true }, acme)))).toEqual([['enabled', 'whitelistValidation']]);
    expect(await refusal((h) => h.create(VOLUME, undefined, acme))).toMatchObject({
      statusCode: 400,
      violations: [{ field: 'body', rule: 'isObject', message: 'body must be a JSON object' }],
    });
  });

  it('answers 404 for a volume or policy the caller cannot see, and 409 for a deleted one', async () => {
    expect(await refusal((h) => h.create(UNKNOWN, { schedule: daily, retention: 1 }, acme))).toEqual({
      statusCode: 404,
      code: 'volume.not_found',
      message: `volume ${UNKNOWN} does not exist`,
    });
    expect((await refusal((h) => h.create(VOLUME, { schedule: daily, retention: 1 }, globex))).code).toBe('volume.not_found');
    expect(await refusal((h) => h.create(DELETED_VOLUME, { schedule: daily, retention: 1 }, acme))).toMatchObject({ statusCode: 409, code: 'volume.already_deleted' });
    expect(await refusal((h) => h.delete(UNKNOWN, acme))).toEqual({
      statusCode: 404,
      code: 'snapshot_policy.not_found',
      message: `snapshot policy ${UNKNOWN} does not exist`,
    });
    expect((await refusal((h) => h.delete(POLICY, globex))).code).toBe('snapshot_policy.not_found');
    expect(await refusal((h) => h.delete(DELETED_POLICY, acme))).toEqual({
      statusCode: 409,
      code: 'snapshot_policy.already_deleted',
      message: `snapshot policy ${DELETED_POLICY} is already deleted`,
    });
  });
});
