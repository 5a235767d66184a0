import { topics as topicNames } from '@strata/contracts';
import type { OutboxRelay, PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { notFound, vmSnapshotNotFound } from '../../errors';
import { ApiExceptionFilter } from '../../http/api-exception.filter';
import type { RequestContext } from '../../http/request-context';
import type { VmSnapshotRow, VmSnapshotStatus, VolumeRow, VolumeStatus } from '../../read-model/domain/rows';
import type { VolumeLookup } from '../../volumes/application/volume-lookup';
import { VmSnapshotCommandsHandler } from './vm-snapshot-commands.handler';
import type { VmSnapshotLookup } from './vm-snapshot-lookup';

const VOLUME_A = '00000000-0000-4000-8000-00000000aaa1';
const VOLUME_B = '00000000-0000-4000-8000-00000000aaa2';
const GLOBEX_VOLUME = '00000000-0000-4000-8000-00000000bbb1';
const DELETED_VOLUME = '00000000-0000-4000-8000-00000000dddd';
const VM_SNAPSHOT = '00000000-0000-4000-8000-0000000000e1';
const DELETED_VM_SNAPSHOT = '00000000-0000-4000-8000-0000000000e2';
const UNKNOWN = '00000000-0000-4000-8000-00000000ffff';
const acme: RequestContext = { tenant: 'acme', correlationId: 'corr-1' };
const globex: RequestContext = { tenant: 'globex', correlationId: null };
const operator: RequestContext = { tenant: null, correlationId: null };

/** The VM snapshot commands down to the outbox, with the database replaced by a recorder. */
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
    [VOLUME_A]: { tenant: 'acme', status: 'attached' },
    [VOLUME_B]: { tenant: 'acme', status: 'ready' },
    [GLOBEX_VOLUME]: { tenant: 'globex', status: 'ready' },
    [DELETED_VOLUME]: { tenant: 'acme', status: 'deleted' },
  };
  const volumes = {
    visible: jest.fn(async (id: string, context: RequestContext) => {
      const v = volumeRows[id];
      if (!v || (context.tenant !== null && context.tenant !== v.tenant)) throw notFound('volume', id);
      return { id, ...v } as VolumeRow;
    }),
  };
  const vmSnapshotRows: Record<string, { tenant: string; status: VmSnapshotStatus }> = {
    [VM_SNAPSHOT]: { tenant: 'acme', status: 'ready' },
    [DELETED_VM_SNAPSHOT]: { tenant: 'acme', status: 'deleted' },
  };
  const vmSnapshots = {
    visible: jest.fn(async (id: string, context: RequestContext) => {
      const s = vmSnapshotRows[id];
      if (!s || (context.tenant !== null && context.tenant !== s.tenant)) throw vmSnapshotNotFound(id);
      return { id, ...s } as VmSnapshotRow;
    }),
  };
  const handler = new VmSnapshotCommandsHandler(submitter, volumes as unknown as VolumeLookup, vmSnapshots as unknown as VmSnapshotLookup, ids);
  return { handler, store, queued, jobs, volumes };
}

async function refusal(run: (h: VmSnapshotCommandsHandler) => Promise<unknown>) {
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

describe('VM snapshot commands', () => {
  it('POST /vm-snapshots queues CreateVmSnapshot on the snapshot commands topic, keyed by a new VM snapshot id', async () => {
    const { handler, queued, jobs } = setUp();
    const body = { vmId: 'vm-4711', volumeIds: [VOLUME_A, VOLUME_B], name: 'before-upgrade' };
    const accepted = await handler.create(body, acme);
    expect(accepted).toEqual({ jobId: expect.any(String), vmSnapshotId: expect.any(String) });
    expect(accepted.vmSnapshotId).not.toBe(accepted.jobId);
    expect(queued).toEqual([
      {
        topic: 't.strata.snapshot.commands',
        key: accepted.vmSnapshotId,
        payload: expect.objectContaining({ messageId: accepted.jobId, type: 'CreateVmSnapshot', aggregateId: accepted.vmSnapshotId, tenant: 'acme', correlationId: 'corr-1', data: body }),
      },
    ]);
    expect(jobs).toEqual([expect.objectContaining({ id: accepted.jobId, commandType: 'CreateVmSnapshot', aggregateId: accepted.vmSnapshotId, status: 'accepted' })]);
  });

  it("an operator's VM snapshot belongs to its volumes' tenant; volumes of two tenants are refused", async () => {
    const { handler, queued } = setUp();
    await handler.create({ vmId: 'vm-1', volumeIds: [VOLUME_A], name: 'n' }, operator);
    expect(queued[0].payload).toMatchObject({ type: 'CreateVmSnapshot', tenant: 'acme' });
    expect(await refusal((h) => h.create({ vmId: 'vm-1', volumeIds: [VOLUME_A, GLOBEX_VOLUME], name: 'n' }, operator))).toMatchObject({
      statusCode: 400,
      violations: [expect.objectContaining({ field: 'volumeIds', rule: 'sameTenant' })],
    });
  });

  it('answers 404 for a volume the caller cannot see and 409 for a deleted one, queueing nothing', async () => {
    expect(await refusal((h) => h.create({ vmId: 'vm-1', volumeIds: [VOLUME_A, UNKNOWN], name: 'n' }, acme))).toEqual({
      statusCode: 404,
      code: 'volume.not_found',
      message: `volume ${UNKNOWN} does not exist`,
    });
    // A tenant's VM snapshot names only its own volumes.
    expect((await refusal((h) => h.create({ vmId: 'vm-1', volumeIds: [VOLUME_A, GLOBEX_VOLUME], name: 'n' }, acme))).code).toBe('volume.not_found');
    expect((await refusal((h) => h.create({ vmId: 'vm-1', volumeIds: [VOLUME_A], name: 'n' }, globex))).code).toBe('volume.not_found');
    expect(await refusal((h) => h.create({ vmId: 'vm-1', volumeIds: [DELETED_VOLUME], name: 'n' }, acme))).toMatchObject({ statusCode: 409, code: 'volume.already_deleted' });
  });

  it("names each bad field by the command's rules, looking up no volume of a list it would refuse", async () => {
    expect(fields(await refusal((h) => h.create({ vmId: '', volumeIds: [], name: '-bad', colour: 'red' }, acme)))).toEqual(
      expect.arrayContaining([['vmId', 'isNotEmpty'], ['volumeIds', 'arrayMinSize'], ['name', 'matches'], ['colour', 'whitelistValidation']]),
    );
    expect(fields(await refusal((h) => h.create({ vmId: 'vm-1', volumeIds: [VOLUME_A, 'nope'], name: 'n' }, acme)))).toEqual([['volumeIds', 'isUuid']]);
    expect(fields(await refusal((h) => h.create({ vmId: 'vm-1', volumeIds: [VOLUME_A, VOLUME_A], name: 'n' }, acme)))).toEqual([['volumeIds', 'arrayUnique']]);
    const harness = setUp();
    const many = Array.from({ length: 33 }, (_, i) => `00000000-0000-4000-8000-${String(i + 100).padStart(12, '0')}`);
    await expect(harness.handler.create({ vmId: 'vm-1', volumeIds: many, name: 'n' }, acme)).rejects.toMatchObject({ code: 'request.invalid' });
    expect(harness.volumes.visible).not.toHaveBeenCalled();
    expect(await refusal((h) => h.create(undefined, acme))).toMatchObject({ statusCode: 400, violations: [{ field: 'body', rule: 'isObject', message: 'body must be a JSON object' }] });
  });

  it('DELETE /vm-snapshots/{id} and POST /vm-snapshots/{id}/revert queue their commands on the snapshot commands topic', async () => {
    const { handler, queued } = setUp();
    expect(await handler.delete(VM_SNAPSHOT, acme)).toEqual({ jobId: expect.any(String), vmSnapshotId: VM_SNAPSHOT });
    await handler.revert(VM_SNAPSHOT, undefined, acme);
    await handler.revert(VM_SNAPSHOT, {}, operator);
    expect(queued.map((q) => [q.topic, q.key, q.payload.type, q.payload.data])).toEqual([
      ['t.strata.snapshot.commands', VM_SNAPSHOT, 'DeleteVmSnapshot', {}],
      ['t.strata.snapshot.commands', VM_SNAPSHOT, 'RevertToVmSnapshot', {}],
      ['t.strata.snapshot.commands', VM_SNAPSHOT, 'RevertToVmSnapshot', {}],
    ]);
  });

  it('answers 404 for a VM snapshot the caller cannot see, 409 for a deleted one, and 400 for a revert body with fields', async () => {
    expect(await refusal((h) => h.delete(UNKNOWN, acme))).toEqual({ statusCode: 404, code: 'vm_snapshot.not_found', message: `VM snapshot ${UNKNOWN} does not exist` });
    expect((await refusal((h) => h.revert(VM_SNAPSHOT, {}, globex))).code).toBe('vm_snapshot.not_found');
    expect(await refusal((h) => h.delete(DELETED_VM_SNAPSHOT, acme))).toEqual({
      statusCode: 409,
      code: 'vm_snapshot.already_deleted',
      message: `VM snapshot ${DELETED_VM_SNAPSHOT} is already deleted`,
    });
    expect((await refusal((h) => h.revert(DELETED_VM_SNAPSHOT, {}, acme))).code).toBe('vm_snapshot.already_deleted');
    expect(fields(await refusal((h) => h.revert(VM_SNAPSHOT, { force: true }, acme)))).toEqual([['force', 'whitelistValidation']]);
  });
});
