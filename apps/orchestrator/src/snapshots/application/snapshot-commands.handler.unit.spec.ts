import { topics as topicNames } from '@strata/contracts';
import type { OutboxRelay, PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { notFound } from '../../errors';
import { ApiExceptionFilter } from '../../http/api-exception.filter';
import type { RequestContext } from '../../http/request-context';
import type { SnapshotRow, SnapshotStatus, VolumeRow, VolumeStatus } from '../../read-model/domain/rows';
import type { VolumeLookup } from '../../volumes/application/volume-lookup';
import { SnapshotCommandsHandler } from './snapshot-commands.handler';
import type { SnapshotLookup } from './snapshot-lookup';

const VOLUME = '00000000-0000-4000-8000-00000000aaaa';
const DELETED_VOLUME = '00000000-0000-4000-8000-00000000dddd';
const SNAPSHOT = '00000000-0000-4000-8000-0000000000c1';
const DELETED_SNAPSHOT = '00000000-0000-4000-8000-0000000000c2';
const CREATING_SNAPSHOT = '00000000-0000-4000-8000-0000000000c3';
const POOL = '00000000-0000-4000-8000-0000000000b1';
const UNKNOWN = '00000000-0000-4000-8000-00000000ffff';
const acme: RequestContext = { tenant: 'acme', correlationId: 'corr-1' };
const globex: RequestContext = { tenant: 'globex', correlationId: null };

/** The snapshot commands down to the outbox, with the database replaced by a recorder. */
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
  const snapshotRows: Record<string, { tenant: string; status: SnapshotStatus; volumeId?: string; poolId?: string; sizeBytes?: number | null }> = {
    [SNAPSHOT]: { tenant: 'acme', status: 'ready', volumeId: VOLUME, poolId: POOL, sizeBytes: 2048 },
    [DELETED_SNAPSHOT]: { tenant: 'acme', status: 'deleted' },
    [CREATING_SNAPSHOT]: { tenant: 'acme', status: 'creating', volumeId: VOLUME, poolId: POOL, sizeBytes: null },
  };
  const snapshots = {
    visible: jest.fn(async (id: string, context: RequestContext) => {
      const s = snapshotRows[id];
      if (!s || (context.tenant !== null && context.tenant !== s.tenant)) throw notFound('snapshot', id);
      return { id, ...s } as SnapshotRow;
    }),
  };
  const handler = new SnapshotCommandsHandler(submitter, volumes as unknown as VolumeLookup, snapshots as unknown as SnapshotLookup, ids);
  return { handler, store, queued, jobs };
}

type Harness = ReturnType<typeof setUp>;

async function refusal(run: (h: SnapshotCommandsHandler) => Promise<unknown>) {
  const harness: Harness = setUp();
  const error = await run(harness.handler).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  expect(harness.store.transaction).not.toHaveBeenCalled();
  return new ApiExceptionFilter().toBody(error);
}
const fields = (body: { violations?: readonly { field: string; rule: string }[] }) => body.violations?.map((v) => [v.field, v.rule]);

describe('snapshot commands', () => {
  it('POST /volumes/{id}/snapshots queues CreateSnapshot on the snapshot commands topic, keyed by a new snapshot id, with the volume of the path', async () => {
    const { handler, queued, jobs } = setUp();
    const accepted = await handler.create(VOLUME, { name: 'before-upgrade' }, acme);
    expect(accepted).toEqual({ jobId: expect.any(String), snapshotId: expect.any(String) });
    expect(accepted.snapshotId).not.toBe(accepted.jobId);
    expect(queued).toEqual([
      {
        topic: 't.strata.snapshot.commands',
        key: accepted.snapshotId,
        payload: expect.objectContaining({
          messageId: accepted.jobId,
          type: 'CreateSnapshot',
          aggregateId: accepted.snapshotId,
          tenant: 'acme',
          correlationId: 'corr-1',
          data: { name: 'before-upgrade', volumeId: VOLUME },
        }),
      },
    ]);
    expect(jobs).toEqual([expect.objectContaining({ id: accepted.jobId, commandType: 'CreateSnapshot', aggregateId: accepted.snapshotId, status: 'accepted' })]);
  });

  it("an operator's snapshot of a tenant's volume belongs to the volume's tenant", async () => {
    const { handler, queued, jobs } = setUp();
    const accepted = await handler.create(VOLUME, { name: 'nightly' }, { tenant: null, correlationId: null });
    expect(queued[0].payload).toMatchObject({ type: 'CreateSnapshot', tenant: 'acme' });
    expect(jobs).toEqual([expect.objectContaining({ id: accepted.jobId, tenant: 'acme' })]);
  });

  it('DELETE /snapshots/{id} and POST /snapshots/{id}/revert queue their commands on the snapshot commands topic', async () => {
    const { handler, queued } = setUp();
    expect(await handler.delete(SNAPSHOT, acme)).toEqual({ jobId: expect.any(String), snapshotId: SNAPSHOT });
    await handler.revert(SNAPSHOT, undefined, acme);
    await handler.revert(SNAPSHOT, {}, acme);
    expect(queued.map((q) => [q.topic, q.key, q.payload.type, q.payload.data])).toEqual([
      ['t.strata.snapshot.commands', SNAPSHOT, 'DeleteSnapshot', {}],
      ['t.strata.snapshot.commands', SNAPSHOT, 'RevertToSnapshot', {}],
      ['t.strata.snapshot.commands', SNAPSHOT, 'RevertToSnapshot', {}],
    ]);
  });

  it('names each bad field of a snapshot request by its rule, and queues nothing', async () => {
    expect(fields(await refusal((h) => h.create(VOLUME, { name: '-bad' }, acme)))).toEqual([['name', 'matches']]);
    expect(fields(await refusal((h) => h.create(VOLUME, {}, acme)))).toEqual(expect.arrayContaining([['name', 'matches']]));
    expect(fields(await refusal((h) => h.create(VOLUME, { name: 's', colour: 'red' }, acme)))).toEqual([['colour', 'whitelistValidation']]);
    expect(fields(await refusal((h) => h.create(VOLUME, { name: 's', volumeId: UNKNOWN }, acme)))).toEqual([['volumeId', 'whitelistValidation']]);
    expect(await refusal((h) => h.create(VOLUME, undefined, acme))).toMatchObject({
      statusCode: 400,
      violations: [{ field: 'body', rule: 'isObject', message: 'body must be a JSON object' }],
    });
    expect(fields(await refusal((h) => h.revert(SNAPSHOT, { force: true }, acme)))).toEqual([['force', 'whitelistValidation']]);
  });

  it('answers 404 for a volume or snapshot the caller cannot see, and 409 for a deleted one', async () => {
    expect(await refusal((h) => h.create(UNKNOWN, { name: 's' }, acme))).toEqual({ statusCode: 404, code: 'volume.not_found', message: `volume ${UNKNOWN} does not exist` });
    expect((await refusal((h) => h.create(VOLUME, { name: 's' }, globex))).code).toBe('volume.not_found');
    expect(await refusal((h) => h.create(DELETED_VOLUME, { name: 's' }, acme))).toMatchObject({ statusCode: 409, code: 'volume.already_deleted' });
    expect(await refusal((h) => h.delete(UNKNOWN, acme))).toEqual({ statusCode: 404, code: 'snapshot.not_found', message: `snapshot ${UNKNOWN} does not exist` });
    expect((await refusal((h) => h.revert(SNAPSHOT, {}, globex))).code).toBe('snapshot.not_found');
    expect(await refusal((h) => h.delete(DELETED_SNAPSHOT, acme))).toEqual({
      statusCode: 409,
      code: 'snapshot.already_deleted',
      message: `snapshot ${DELETED_SNAPSHOT} is already deleted`,
    });
    expect((await refusal((h) => h.revert(DELETED_SNAPSHOT, {}, acme))).code).toBe('snapshot.already_deleted');
  });

  it('POST /snapshots/{id}/volumes queues CreateVolume on the storage commands topic: a new volume from the snapshot, on its pool, as large as the snapshot', async () => {
    const { handler, queued, jobs } = setUp();
    const accepted = await handler.createVolume(SNAPSHOT, { name: 'restored' }, { tenant: null, correlationId: 'corr-2' });
    expect(accepted).toEqual({ jobId: expect.any(String), volumeId: expect.any(String) });
    expect(queued).toEqual([
      {
        topic: 't.strata.storage.commands',
        key: accepted.volumeId,
        payload: expect.objectContaining({
          messageId: accepted.jobId,
          type: 'CreateVolume',
          aggregateId: accepted.volumeId,
          // The snapshot's owner, also when an operator asks.
          tenant: 'acme',
          data: { name: 'restored', sizeBytes: 2048, poolId: POOL, fromSnapshot: { snapshotId: SNAPSHOT, volumeId: VOLUME } },
        }),
      },
    ]);
    expect(jobs).toEqual([expect.objectContaining({ commandType: 'CreateVolume', aggregateId: accepted.volumeId, tenant: 'acme' })]);
    await handler.createVolume(SNAPSHOT, { name: 'bigger', sizeBytes: 4096 }, acme);
    expect(queued[1].payload.data).toEqual({ name: 'bigger', sizeBytes: 4096, poolId: POOL, fromSnapshot: { snapshotId: SNAPSHOT, volumeId: VOLUME } });
  });

  it('POST /snapshots/{id}/volumes answers 404 for a snapshot the caller cannot see, 409 for one not ready, and 400 for any field but name and sizeBytes', async () => {
    expect((await refusal((h) => h.createVolume(UNKNOWN, { name: 'v' }, acme))).code).toBe('snapshot.not_found');
    expect((await refusal((h) => h.createVolume(SNAPSHOT, { name: 'v' }, globex))).code).toBe('snapshot.not_found');
    expect(await refusal((h) => h.createVolume(CREATING_SNAPSHOT, { name: 'v' }, acme))).toEqual({
      statusCode: 409,
      code: 'snapshot.not_ready',
      message: `snapshot ${CREATING_SNAPSHOT} is creating, not ready`,
    });
    expect((await refusal((h) => h.createVolume(DELETED_SNAPSHOT, { name: 'v' }, acme))).code).toBe('snapshot.already_deleted');
    expect(fields(await refusal((h) => h.createVolume(SNAPSHOT, { name: 'v', poolId: POOL, qos: {} }, acme)))).toEqual([
      ['poolId', 'whitelistValidation'],
      ['qos', 'whitelistValidation'],
    ]);
    expect(fields(await refusal((h) => h.createVolume(SNAPSHOT, { name: '-bad', sizeBytes: 0 }, acme)))).toEqual(
      expect.arrayContaining([['name', 'matches'], ['sizeBytes', 'min']]),
    );
    expect((await refusal((h) => h.createVolume(SNAPSHOT, undefined, acme))).violations).toEqual([expect.objectContaining({ field: 'body', rule: 'isObject' })]);
  });

  it('PUT /volumes/{id}/snapshot-backup queues SetSnapshotBackup on the snapshot commands topic, keyed by the volume, owned by its tenant', async () => {
    const { handler, queued } = setUp();
    expect(await handler.setSnapshotBackup(VOLUME, { backupSnapshots: true }, { tenant: null, correlationId: null })).toEqual({ jobId: expect.any(String), volumeId: VOLUME });
    expect(queued.map((q) => [q.topic, q.key, q.payload.type, q.payload.aggregateId, q.payload.tenant, q.payload.data])).toEqual([
      ['t.strata.snapshot.commands', VOLUME, 'SetSnapshotBackup', VOLUME, 'acme', { backupSnapshots: true }],
    ]);
  });

  it('PUT /volumes/{id}/snapshot-backup answers 404, 409 and 400 as the other volume commands, queueing nothing', async () => {
    expect((await refusal((h) => h.setSnapshotBackup(UNKNOWN, { backupSnapshots: true }, acme))).code).toBe('volume.not_found');
    expect((await refusal((h) => h.setSnapshotBackup(VOLUME, { backupSnapshots: true }, globex))).code).toBe('volume.not_found');
    expect((await refusal((h) => h.setSnapshotBackup(DELETED_VOLUME, { backupSnapshots: false }, acme))).code).toBe('volume.already_deleted');
    expect(fields(await refusal((h) => h.setSnapshotBackup(VOLUME, { backupSnapshots: 'yes' }, acme)))).toEqual([['backupSnapshots', 'isBoolean']]);
    expect(fields(await refusal((h) => h.setSnapshotBackup(VOLUME, {}, acme)))).toEqual([['backupSnapshots', 'isBoolean']]);
    expect(fields(await refusal((h) => h.setSnapshotBackup(VOLUME, { backupSnapshots: true, volumeId: VOLUME }, acme)))).toEqual([['volumeId', 'whitelistValidation']]);
  });
});
