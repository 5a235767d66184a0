import { topics as topicNames } from '@strata/contracts';
import type { OutboxRelay, PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { notFound } from '../../errors';
import type { HostLookup } from '../../hosts/application/host-lookup';
import { ApiExceptionFilter } from '../../http/api-exception.filter';
import type { RequestContext } from '../../http/request-context';
import type { PoolLookup } from '../../pools/application/pool-lookup';
import type { HostRow, PoolRow, VolumeRow, VolumeStatus } from '../../read-model/domain/rows';
import { ChangeVolumeHandler } from './change-volume.handler';
import { CreateVolumeHandler } from './create-volume.handler';
import { ManageVolumeHandler } from './manage-volume.handler';
import { MigrateVolumeHandler } from './migrate-volume.handler';
import type { VolumeLookup } from './volume-lookup';

const VOLUME = '00000000-0000-4000-8000-00000000aaaa';
const DELETED = '00000000-0000-4000-8000-00000000dddd';
const HOST = '00000000-0000-4000-8000-0000000000a1';
const OLD_HOST = '00000000-0000-4000-8000-0000000000a2';
const POOL = '00000000-0000-4000-8000-0000000000b1';
const GONE_POOL = '00000000-0000-4000-8000-0000000000b2';
const UNKNOWN = '00000000-0000-4000-8000-00000000ffff';
const acme: RequestContext = { tenant: 'acme', correlationId: 'corr-1' };
const operator: RequestContext = { tenant: null, correlationId: null };

/** The volume commands down to the outbox, with the database replaced by a recorder. */
function setUp() {
  let n = 0;
  const ids: IdGenerator = { newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
  const clock: Clock = { now: () => new Date('2026-11-21T07:00:00.000Z') };
  const queued: { type: string; aggregateId: string; messageId: string; data: unknown; tenant: string | null }[] = [];
  const store = {
    transaction: jest.fn(async (work: (m: unknown) => Promise<void>) => work({ getRepository: () => ({ insert: async () => undefined }) })),
    enqueue: jest.fn(async (_m: unknown, message: { key: string; payload: never }) => void queued.push(message.payload)),
  };
  const submitter = new CommandSubmitter(store as unknown as PgEventStore, { kick: jest.fn() } as unknown as OutboxRelay, clock, ids, topicNames('t.'));
  const volumes: Record<string, { tenant: string; status: VolumeStatus }> = { [VOLUME]: { tenant: 'acme', status: 'attached' }, [DELETED]: { tenant: 'acme', status: 'deleted' } };
  const volumeLookup = {
    visible: jest.fn(async (id: string, context: RequestContext) => {
      const v = volumes[id];
      if (!v || (context.tenant !== null && context.tenant !== v.tenant)) throw notFound('volume', id);
      return { id, ...v } as VolumeRow;
    }),
  };
  const hostStatus: Record<string, HostRow['status']> = { [HOST]: 'registered', [OLD_HOST]: 'deregistered' };
  const hosts = {
    find: jest.fn(async (id: string) => {
      if (!hostStatus[id]) throw notFound('host', id);
      return { id, status: hostStatus[id] } as HostRow;
    }),
    live: jest.fn(async (id: string) => {
      if (hostStatus[id] !== 'registered') throw notFound('host', id);
      return { id, status: 'registered' } as HostRow;
    }),
  };
  const pools = {
    live: jest.fn(async (id: string) => {
      if (id !== POOL) throw notFound('pool', id);
      return { id, status: 'enabled' } as PoolRow;
    }),
  };
  void GONE_POOL;
  return {
    change: new ChangeVolumeHandler(submitter, volumeLookup as unknown as VolumeLookup, hosts as unknown as HostLookup),
    manage: new ManageVolumeHandler(submitter, ids, pools as unknown as PoolLookup),
    create: new CreateVolumeHandler(submitter, ids),
    migrate: new MigrateVolumeHandler(submitter, volumeLookup as unknown as VolumeLookup, pools as unknown as PoolLookup, hosts as unknown as HostLookup),
    store,
    queued,
    hosts,
  };
}

type Handlers = ReturnType<typeof setUp>;

async function refusal(run: (h: Handlers) => Promise<unknown>) {
  const handlers = setUp();
  const error = await run(handlers).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  expect(handlers.store.transaction).not.toHaveBeenCalled();
  return new ApiExceptionFilter().toBody(error);
}
const fields = (body: { violations?: readonly { field: string; rule: string }[] }) => body.violations?.map((v) => [v.field, v.rule]);

describe('commands on an existing volume', () => {
  it('queue resize, attach, detach and QoS with the body as sent, keyed by the volume, with the tenant', async () => {
    const { change, queued } = setUp();
    const accepted = await change.resize(VOLUME, { sizeBytes: 2 ** 31, allowShrink: false }, acme);
    expect(accepted).toEqual({ jobId: expect.any(String), volumeId: VOLUME });
    await change.attach(VOLUME, { hostId: HOST }, acme);
    await change.detach(VOLUME, { hostId: HOST }, acme);
    await change.changeQos(VOLUME, { iops: 1000, bandwidthBytesPerSecond: null, tier: 'gold' }, acme);
    expect(queued.map((c) => [c.type, c.aggregateId, c.tenant, c.data])).toEqual([
      ['ResizeVolume', VOLUME, 'acme', { sizeBytes: 2 ** 31, allowShrink: false }],
      ['AttachVolume', VOLUME, 'acme', { hostId: HOST }],
      ['DetachVolume', VOLUME, 'acme', { hostId: HOST }],
      ['ChangeVolumeQos', VOLUME, 'acme', { iops: 1000, bandwidthBytesPerSecond: null, tier: 'gold' }],
    ]);
    expect(queued[0].messageId).toBe(accepted.jobId);
  });

  it('names each bad field by its rule', async () => {
    expect(fields(await refusal((h) => h.change.resize(VOLUME, { sizeBytes: 0 }, acme)))).toEqual([['sizeBytes', 'min']]);
    expect(fields(await refusal((h) => h.change.resize(VOLUME, { sizeBytes: 1, allowShrink: 'yes' }, acme)))).toEqual([['allowShrink', 'isBoolean']]);
    expect(fields(await refusal((h) => h.change.attach(VOLUME, { hostId: 'kvm-01' }, acme)))).toEqual([['hostId', 'isUuid']]);
    expect(fields(await refusal((h) => h.change.detach(VOLUME, {}, acme)))).toEqual([['hostId', 'isUuid']]);
    expect(fields(await refusal((h) => h.change.changeQos(VOLUME, { iops: 0, tier: 'not a tier!' }, acme)))).toEqual(
      expect.arrayContaining([['iops', 'min'], ['tier', 'matches']]),
    );
    expect(fields(await refusal((h) => h.change.changeQos(VOLUME, { burst: 1 }, acme)))).toEqual([['burst', 'whitelistValidation']]);
  });

  it('answers 404 for a volume the caller cannot see, and 409 for a deleted one', async () => {
    for (const run of [
      (h: Handlers) => h.change.resize(UNKNOWN, { sizeBytes: 1 }, acme),
      (h: Handlers) => h.change.attach(VOLUME, { hostId: HOST }, { tenant: 'globex', correlationId: null }),
    ]) {
      expect((await refusal(run)).code).toBe('volume.not_found');
    }
    expect(await refusal((h) => h.change.changeQos(DELETED, { iops: 1 }, acme))).toEqual({
      statusCode: 409,
      code: 'volume.already_deleted',
      message: `volume ${DELETED} is already deleted`,
    });
  });

  it('attach needs a registered host; detach any known host (a deregistered one may still hold the volume)', async () => {
    expect(await refusal((h) => h.change.attach(VOLUME, { hostId: UNKNOWN }, acme))).toEqual({
      statusCode: 404,
      code: 'host.not_found',
      message: `host ${UNKNOWN} does not exist`,
    });
    expect((await refusal((h) => h.change.attach(VOLUME, { hostId: OLD_HOST }, acme))).code).toBe('host.not_found');
    expect((await refusal((h) => h.change.detach(VOLUME, { hostId: UNKNOWN }, acme))).code).toBe('host.not_found');
    const { change, queued } = setUp();
    await change.detach(VOLUME, { hostId: OLD_HOST }, acme);
    expect(queued.map((c) => c.type)).toEqual(['DetachVolume']);
  });
});

describe('POST /volumes and POST /volumes/manage', () => {
  it('CreateVolume takes the allocation fields without a poolId, and refuses a body with neither poolId nor zoneId', async () => {
    const { create, queued } = setUp();
    const body = {
      name: 'db-1', sizeBytes: 2 ** 30, volumeType: 'ROOT', provisioning: 'thick', qos: { iops: 500 },
      zoneId: 'zone-1', clusterId: 'c1', poolTags: ['ssd'], hypervisor: 'kvm', allocationPolicy: 'most-free',
    };
    const accepted = await create.execute(body, acme);
    expect(queued).toEqual([expect.objectContaining({ type: 'CreateVolume', aggregateId: accepted.volumeId, data: body })]);

    const neither = await refusal((h) => h.create.execute({ name: 'db-1', sizeBytes: 1 }, acme));
    expect(neither.statusCode).toBe(400);
    expect(fields(neither)).toEqual(expect.arrayContaining([['poolId', 'isUuid'], ['zoneId', 'isString']]));
    expect(fields(await refusal((h) => h.create.execute({ name: 'x', zoneId: 'z', sizeBytes: 1, allocationPolicy: 'random', provisioning: 'lazy' }, acme)))).toEqual(
      expect.arrayContaining([['allocationPolicy', 'isIn'], ['provisioning', 'isIn']]),
    );
  });

  it('CreateVolume makes no volume from a snapshot here (that is POST /snapshots/{id}/volumes, which checks the snapshot is the caller\'s)', async () => {
    const fromSnapshot = { snapshotId: '00000000-0000-4000-8000-0000000000d1', volumeId: '00000000-0000-4000-8000-0000000000d2' };
    expect(fields(await refusal((h) => h.create.execute({ name: 'db-1', sizeBytes: 1, zoneId: 'z', fromSnapshot }, acme)))).toEqual([['fromSnapshot', 'whitelistValidation']]);
  });

  it('ManageVolume gets a new volume id and names the pool, which must be live', async () => {
    const { manage, queued } = setUp();
    const body = { poolId: POOL, backendName: 'legacy-7', name: 'adopted' };
    const accepted = await manage.execute(body, operator);
    expect(accepted).toEqual({ jobId: expect.any(String), volumeId: expect.any(String) });
    expect(queued).toEqual([expect.objectContaining({ type: 'ManageVolume', aggregateId: accepted.volumeId, data: body, tenant: null })]);
    expect((await refusal((h) => h.manage.execute({ ...body, poolId: GONE_POOL }, operator))).code).toBe('pool.not_found');
    expect(fields(await refusal((h) => h.manage.execute({ poolId: 'p', backendName: '', name: 'x' }, operator)))).toEqual(
      expect.arrayContaining([['poolId', 'isUuid'], ['backendName', 'isNotEmpty']]),
    );
  });
});

describe('POST /volumes/{id}/migrate: MigrateVolume', () => {
  it('queues the body as sent, keyed by the volume; no body at all asks allocation for a destination', async () => {
    const { migrate, queued } = setUp();
    const body = { destinationPoolId: POOL, dataMoverHostId: HOST };
    const accepted = await migrate.execute(VOLUME, body, operator);
    expect(accepted).toEqual({ jobId: expect.any(String), volumeId: VOLUME });
    await migrate.execute(VOLUME, undefined, operator);
    await migrate.execute(VOLUME, { allocationPolicy: 'most-free' }, operator);
    expect(queued.map((c) => [c.type, c.aggregateId, c.tenant, c.data])).toEqual([
      ['MigrateVolume', VOLUME, null, body],
      ['MigrateVolume', VOLUME, null, {}],
      ['MigrateVolume', VOLUME, null, { allocationPolicy: 'most-free' }],
    ]);
    expect(queued[0].messageId).toBe(accepted.jobId);
  });

  it('answers 404 for an unknown volume, destination pool or data-mover host, and 409 for a deleted volume', async () => {
    expect(await refusal((h) => h.migrate.execute(UNKNOWN, {}, operator))).toEqual({ statusCode: 404, code: 'volume.not_found', message: `volume ${UNKNOWN} does not exist` });
    expect((await refusal((h) => h.migrate.execute(DELETED, {}, operator))).code).toBe('volume.already_deleted');
    expect(await refusal((h) => h.migrate.execute(VOLUME, { destinationPoolId: GONE_POOL }, operator))).toEqual({
      statusCode: 404, code: 'pool.not_found', message: `pool ${GONE_POOL} does not exist`,
    });
    expect((await refusal((h) => h.migrate.execute(VOLUME, { dataMoverHostId: OLD_HOST }, operator))).code).toBe('host.not_found');
    expect((await refusal((h) => h.migrate.execute(VOLUME, { dataMoverHostId: UNKNOWN }, operator))).code).toBe('host.not_found');
  });

  it('names each bad field by its rule', async () => {
    expect(fields(await refusal((h) => h.migrate.execute(VOLUME, { destinationPoolId: 'fast-01', allocationPolicy: 'random' }, operator)))).toEqual(
      expect.arrayContaining([['destinationPoolId', 'isUuid'], ['allocationPolicy', 'isIn']]),
    );
    expect(fields(await refusal((h) => h.migrate.execute(VOLUME, { dataMoverHostId: 'kvm-01' }, operator)))).toEqual([['dataMoverHostId', 'isUuid']]);
    expect(fields(await refusal((h) => h.migrate.execute(VOLUME, { toPool: POOL }, operator)))).toEqual([['toPool', 'whitelistValidation']]);
  });
});
