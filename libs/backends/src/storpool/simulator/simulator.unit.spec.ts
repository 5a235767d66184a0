import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStorPoolSimulator, type StorPoolSimulator } from './simulator';
import { scanCopy, sparseCopy } from '../../sparse/sparse-files';

interface Reply {
  readonly status: number;
  readonly body: { data?: unknown; error?: { name: string; descr: string; transient: boolean } };
}

const MiB = 2 ** 20;

describe('StorPool simulator: the /ctrl/1.0 API and its rules', () => {
  let dir: string;
  let sim: StorPoolSimulator;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-spsim-'));
    sim = await startStorPoolSimulator({ port: 0, dataDir: dir, timeoutFaultMs: 2000 });
  });

  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function call(method: 'GET' | 'POST', query: string, json?: unknown, token: string | null = sim.authToken): Promise<Reply> {
    const response = await fetch(`${sim.url}/ctrl/1.0/${query}`, {
      method,
      headers: token === null ? {} : { authorization: `Storpool v1:${token}` },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    return { status: response.status, body: (await response.json()) as Reply['body'] };
  }

  async function ok(method: 'GET' | 'POST', query: string, json?: unknown): Promise<unknown> {
    const reply = await call(method, query, json);
    if (reply.status !== 200) throw new Error(`${method} ${query}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.data;
  }

  async function refused(method: 'GET' | 'POST', query: string, json: unknown, name: string, status: number): Promise<string> {
    const reply = await call(method, query, json);
    expect({ status: reply.status, name: reply.body.error?.name, transient: reply.body.error?.transient }).toEqual({ status, name, transient: false });
    expect(reply.body.data).toBeUndefined();
    return reply.body.error?.descr ?? '';
  }

  const create = (name: string, size = MiB, extra: Record<string, unknown> = {}): Promise<unknown> =>
    ok('POST', 'VolumeCreate', { name, size, template: 'nvme', ...extra });

  it('wants the Storpool v1 token on every call and answers 401 with an error body', async () => {
    for (const token of [null, 'wrong']) {
      const reply = await call('GET', 'VolumesList', undefined, token);
      expect(reply.status).toBe(401);
      expect(reply.body.error).toMatchObject({ name: 'authError', transient: false });
    }
    expect(await ok('GET', 'VolumesList')).toEqual([]);
  });

  it('serves the MultiCluster/ and MultiCluster/AllClusters/ forms', async () => {
    await create('v1');
    expect(await ok('GET', 'MultiCluster/Volume/v1')).toEqual([expect.objectContaining({ name: 'v1', clusterId: 'sim.a' })]);
    const all = (await ok('GET', 'MultiCluster/AllClusters/VolumeTemplatesStatus')) as { clusters: { response: { data: { name: string }[] } }[] };
    expect(all.clusters[0]?.response.data.map((t) => t.name)).toEqual(['nvme', 'hdd']);
    await ok('POST', 'MultiCluster/VolumeDelete/v1', {});
    expect(await ok('GET', 'VolumesList')).toEqual([]);
  });

  it('enforces the volume name rule: characters, < 200 characters, not list or status', async () => {
    expect(await refused('POST', 'VolumeCreate', { name: 'a/b', size: MiB, template: 'nvme' }, 'invalidParam', 400)).toContain('Must match');
    await refused('POST', 'VolumeCreate', { name: 'v'.repeat(200), size: MiB, template: 'nvme' }, 'invalidParam', 400);
    await refused('POST', 'VolumeCreate', { name: 'list', size: MiB, template: 'nvme' }, 'invalidParam', 400);
    await create('#v.1:a_b-c');
    await create('v'.repeat(199));
    expect((await ok('GET', 'VolumesList')) as unknown[]).toHaveLength(2);
  });

  it('wants sizes that are positive multiples of 512 and replication 1-3', async () => {
    expect(await refused('POST', 'VolumeCreate', { name: 'v', size: 1000, template: 'nvme' }, 'invalidParam', 400)).toContain('multiple of 512');
    await refused('POST', 'VolumeCreate', { name: 'v', size: 0, template: 'nvme' }, 'invalidParam', 400);
    await refused('POST', 'VolumeCreate', { name: 'v', size: MiB, template: 'nvme', replication: 4 }, 'invalidParam', 400);
    await create('v', 512, { replication: 1 });
    expect(await ok('GET', 'Volume/v')).toEqual([expect.objectContaining({ size: 512, replication: 1, templateName: 'nvme' })]);
  });

  it('says objectExists for a duplicate and objectDoesNotExist for a missing volume or template', async () => {
    await create('v');
    await refused('POST', 'VolumeCreate', { name: 'v', size: MiB, template: 'nvme' }, 'objectExists', 409);
    await refused('GET', 'Volume/nope', undefined, 'objectDoesNotExist', 404);
    await refused('POST', 'VolumeCreate', { name: 'w', size: MiB, template: 'ssd' }, 'objectDoesNotExist', 404);
    await refused('GET', 'VolumeTemplateDescribe/ssd', undefined, 'objectDoesNotExist', 404);
  });

  it('refuses unknown fields rather than ignoring a misspelling', async () => {
    expect(await refused('POST', 'VolumeCreate', { name: 'v', size: MiB, template: 'nvme', sise: 1 }, 'invalidParam', 400)).toContain("'sise'");
  });

  it('creates anonymous volumes, named and addressed by ~globalId', async () => {
    const data = (await ok('POST', 'VolumeCreate', { name: '', size: MiB, template: 'nvme' })) as { name: string; globalId: string };
    expect(data.name).toBe(`~${data.globalId}`);
    expect(await ok('GET', `Volume/${encodeURIComponent(data.name)}`)).toEqual([expect.objectContaining({ globalId: data.globalId })]);
  });

  it('shrinks only with shrinkOk, grows with size or sizeAdd, and resizes the sparse file', async () => {
    await create('v', 4 * MiB);
    expect(await refused('POST', 'VolumeUpdate/v', { size: MiB }, 'invalidParam', 400)).toContain('shrinkOk');
    await ok('POST', 'VolumeUpdate/v', { sizeAdd: MiB });
    expect((await stat(join(dir, 'volumes', 'v.raw'))).size).toBe(5 * MiB);
    await ok('POST', 'VolumeUpdate/v', { size: MiB, shrinkOk: true });
    expect((await stat(join(dir, 'volumes', 'v.raw'))).size).toBe(MiB);
  });

  it('validates tags and removes a tag given an empty value', async () => {
    await refused('POST', 'VolumeCreate', { name: 'v', size: MiB, template: 'nvme', tags: { 'bad key': 'x' } }, 'invalidParam', 400);
    await refused('POST', 'VolumeCreate', { name: 'v', size: MiB, template: 'nvme', tags: { k: 'bad value' } }, 'invalidParam', 400);
    await create('v', MiB, { tags: { qc: 'gold', 'vc-policy': 'p' } });
    await ok('POST', 'VolumeUpdate/v', { tags: { qc: '' } });
    expect(await ok('GET', 'Volume/v')).toEqual([expect.objectContaining({ tags: { 'vc-policy': 'p' } })]);
  });

  it('attaches volumes rw or ro to known clients only, snapshots read-only, and detaches all', async () => {
    await create('v');
    await ok('POST', 'VolumeSnapshot/v', { name: 's' });
    await refused('POST', 'VolumesReassign', [{ volume: 'v', rw: [9] }], 'invalidParam', 400);
    await refused('POST', 'VolumesReassign', [{ snapshot: 's', rw: [1] }], 'invalidParam', 400);
    await refused('POST', 'VolumesReassign', [{ volume: 'nope', rw: [1] }], 'objectDoesNotExist', 404);
    await ok('POST', 'VolumesReassign', [
      { volume: 'v', rw: [1], ro: [2] },
      { snapshot: 's', ro: [1] },
    ]);
    expect(await ok('GET', 'AttachmentsList')).toEqual([
      expect.objectContaining({ volume: 'v', snapshot: false, client: 1, rights: 'rw' }),
      expect.objectContaining({ volume: 'v', snapshot: false, client: 2, rights: 'ro' }),
      expect.objectContaining({ volume: 's', snapshot: true, client: 1, rights: 'ro' }),
    ]);
    await ok('POST', 'VolumesReassignWait', { reassign: [{ volume: 'v', detach: 'all' }], attachTimeout: 0 });
    expect(await ok('GET', 'AttachmentsList')).toEqual([expect.objectContaining({ volume: 's' })]);
  });

  it('refuses to delete or revert an attached volume; detachForce deletes it', async () => {
    await create('v');
    await ok('POST', 'VolumeSnapshot/v', { name: 's' });
    await ok('POST', 'VolumesReassign', [{ volume: 'v', rw: [1] }]);
    await refused('POST', 'VolumeRevert/v', { toSnapshot: 's' }, 'objectAttached', 409);
    await refused('POST', 'VolumeDelete/v', {}, 'objectAttached', 409);
    await ok('POST', 'VolumeDelete/v', { onAttached: 'detachForce' });
    expect(await ok('GET', 'AttachmentsList')).toEqual([]);
  });

  it('reverts only to a snapshot of the volume, copying its bytes back', async () => {
    await create('v', 4 * MiB);
    await create('w', 4 * MiB);
    await ok('POST', 'VolumeSnapshot/w', { name: 'sw' });
    await ok('POST', 'VolumeSnapshot/v', { name: 's1' });
    const file = join(dir, 'volumes', 'v.raw');
    const handle = await open(file, 'r+');
    await handle.write('changed', 0);
    await handle.close();
    await refused('POST', 'VolumeRevert/v', { toSnapshot: 'sw' }, 'invalidParam', 400);
    await ok('POST', 'VolumeRevert/v', { toSnapshot: 's1' });
    const reread = await open(file, 'r');
    const buffer = Buffer.alloc(7);
    await reread.read(buffer, 0, 7, 0);
    await reread.close();
    expect(buffer.equals(Buffer.alloc(7))).toBe(true);
  });

  it('keeps a deleted snapshot that has children, marked deleted, until its last child goes', async () => {
    await create('v');
    await ok('POST', 'VolumeSnapshot/v', { name: 's1' });
    await ok('POST', 'VolumeCreate', { name: 'clone', parent: 's1' });
    await ok('POST', 'SnapshotDelete/s1', {});
    expect(await ok('GET', 'Snapshot/s1')).toEqual([expect.objectContaining({ deleted: true, onVolume: 'v' })]);
    await ok('POST', 'VolumeDelete/v', {});
    expect(await ok('GET', 'Snapshot/s1')).toEqual([expect.objectContaining({ deleted: true })]);
    await ok('POST', 'VolumeDelete/clone', {});
    await refused('GET', 'Snapshot/s1', undefined, 'objectDoesNotExist', 404);
    await expect(stat(join(dir, 'snapshots', 's1.raw'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes a group snapshot all or nothing', async () => {
    await create('a');
    await create('b');
    await refused('POST', 'VolumesGroupSnapshot', { volumes: [{ volume: 'a', name: 'sa' }, { volume: 'zz', name: 'sz' }] }, 'objectDoesNotExist', 404);
    expect(await ok('GET', 'SnapshotsList')).toEqual([]);
    const data = (await ok('POST', 'VolumesGroupSnapshot', {
      volumes: [
        { volume: 'a', name: 'sa' },
        { volume: 'b', name: 'sb', tags: { m: '1' } },
      ],
      tags: { vm: 'x' },
    })) as { snapshots: { volume: string; snapshot: string; snapshotGlobalId: string }[] };
    expect(data.snapshots.map((s) => [s.volume, s.snapshot])).toEqual([
      ['a', 'sa'],
      ['b', 'sb'],
    ]);
    expect(await ok('GET', 'Snapshot/sb')).toEqual([expect.objectContaining({ tags: { vm: 'x', m: '1' }, onVolume: 'b' })]);
  });

  it('counts written data against the template: stored.free drops and used follows', async () => {
    const status = async (): Promise<{ stored: { capacity: number; free: number }; storedSize: number; volumesCount: number }> =>
      ((await ok('GET', 'VolumeTemplatesStatus')) as { name: string; stored: { capacity: number; free: number }; storedSize: number; volumesCount: number }[]).find(
        (t) => t.name === 'nvme',
      ) as never;
    const before = await status();
    await create('v', 64 * MiB);
    const handle = await open(join(dir, 'volumes', 'v.raw'), 'r+');
    await handle.write(Buffer.alloc(MiB, 1), 0, MiB, 0);
    await handle.close();
    const after = await status();
    expect(after.volumesCount).toBe(1);
    expect(after.storedSize).toBeGreaterThanOrEqual(MiB);
    expect(before.stored.free - after.stored.free).toBe(after.storedSize);
  });

  it('injects faults through POST /_sim/faults: 5xx (transient), 401, and a held answer', async () => {
    const inject = (fault: string, times: number): Promise<Response> =>
      fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ fault, times }) });
    expect((await inject('5xx', 2)).status).toBe(200);
    for (let i = 0; i < 2; i += 1) {
      const reply = await call('GET', 'VolumesList');
      expect(reply.status).toBe(503);
      expect(reply.body.error).toMatchObject({ name: 'clusterNotReady', transient: true });
    }
    await inject('401', 1);
    expect((await call('GET', 'VolumesList')).status).toBe(401);
    await inject('timeout', 1);
    await expect(fetch(`${sim.url}/ctrl/1.0/VolumesList`, { headers: { authorization: `Storpool v1:${sim.authToken}` }, signal: AbortSignal.timeout(300) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(await ok('GET', 'VolumesList')).toEqual([]);
    expect((await inject('nonsense', 1)).status).toBe(400);
  });

  it('carries a call out and then holds its answer on a lost-answer fault', async () => {
    await sim.faults.inject('lost-answer', 1);
    await expect(
      fetch(`${sim.url}/ctrl/1.0/VolumeCreate`, {
        method: 'POST',
        headers: { authorization: `Storpool v1:${sim.authToken}` },
        body: JSON.stringify({ name: 'lost-1', size: MiB, template: 'nvme' }),
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    // The client heard nothing, but the volume is there: a retry of the create finds it.
    expect(await ok('GET', 'VolumesList')).toEqual([expect.objectContaining({ name: 'lost-1', size: MiB })]);
    expect((await call('POST', 'VolumeCreate', { name: 'lost-1', size: MiB, template: 'nvme' })).body.error).toMatchObject({ name: 'objectExists' });
  });

  it('keeps a fault aimed at one query for the next call of that query', async () => {
    await sim.faults.inject('5xx', 1, 'VolumeDelete');
    await ok('POST', 'VolumeCreate', { name: 'aimed', size: MiB, template: 'nvme' });
    expect(await ok('GET', 'VolumesList')).toHaveLength(1);
    expect((await call('POST', 'MultiCluster/VolumeDelete/aimed', {})).status).toBe(503);
    await ok('POST', 'VolumeDelete/aimed', {});
    expect((await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ fault: '5xx', query: '../x' }) })).status).toBe(400);
  });

  it('lists what it holds and the faults pending at /_sim/inventory without spending one', async () => {
    await ok('POST', 'VolumeCreate', { name: 'held', size: MiB, template: 'nvme' });
    await ok('POST', 'VolumeSnapshot/held', { name: 'held-snap' });
    await sim.faults.inject('401', 2);
    const inventory = async () => ((await (await fetch(`${sim.url}/_sim/inventory`)).json()) as { data: unknown }).data;
    expect(await inventory()).toEqual({ volumes: ['held'], snapshots: ['held-snap'], pendingFaults: 2 });
    expect(await inventory()).toMatchObject({ pendingFaults: 2 });
    expect((await call('GET', 'VolumesList')).status).toBe(401);
    expect(sim.faults.pending()).toBe(1);
  });

  it('copies sparse files keeping their holes and bytes, by sparseCopy and by the scan fallback', async () => {
    const source = join(dir, 'source.raw');
    const handle = await open(source, 'w');
    await handle.truncate(64 * MiB);
    await handle.write(Buffer.alloc(4096, 9), 0, 4096, 40 * MiB);
    await handle.write(Buffer.alloc(100, 3), 0, 100, 64 * MiB - 100);
    await handle.close();
    for (const [label, copy] of [
      ['sparseCopy', sparseCopy],
      ['scanCopy', scanCopy],
    ] as const) {
      const target = join(dir, `${label}.raw`);
      await copy(source, target);
      const copied = await stat(target);
      expect(copied.size).toBe(64 * MiB);
      expect(copied.blocks * 512).toBeLessThanOrEqual(4 * MiB);
      const reread = await open(target, 'r');
      const middle = Buffer.alloc(4096);
      const tail = Buffer.alloc(100);
      await reread.read(middle, 0, 4096, 40 * MiB);
      await reread.read(tail, 0, 100, 64 * MiB - 100);
      await reread.close();
      expect([middle.equals(Buffer.alloc(4096, 9)), tail.equals(Buffer.alloc(100, 3))]).toEqual([true, true]);
    }
  });
});
