import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStorPoolSimulator, type StorPoolSimulator } from '@strata/backends';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

const MiB = 2 ** 20;
const TOKEN = 'sp-faults-token-5c1e';

/**
 * Volume commands through the storage service while the StorPool simulator answers one call
 * with a fault: a 503 the vendor marks transient, no answer (the request or only its answer
 * lost), a 401. Each command ends in one clear outcome, the array holds exactly the volumes
 * called ready, and the token is in no event.
 */
describe('volume commands on a StorPool array that fails one call', () => {
  let h: StorageHarness;
  let dir: string;
  let sim: StorPoolSimulator;
  let poolId: string;
  const send = (type: string, aggregateId: string, data: unknown) => h.send(type, aggregateId, data);
  const outcome = (commandId: string) => h.outcome(commandId);
  const onArray = async () =>
    ((await sim.state.handle('GET', 'VolumesList', undefined, undefined, { multiCluster: false })) as { name: string }[]).map((v) => v.name);
  const create = async (volumeId: string) => outcome(await send('CreateVolume', volumeId, { name: 'fv', poolId, sizeBytes: 4 * MiB }));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-spfaults-'));
    // The answer is held just past the pool's client timeout, so a fault costs a second and a half.
    sim = await startStorPoolSimulator({ port: 0, dataDir: path.join(dir, 'storpool'), authToken: TOKEN, timeoutFaultMs: 1500 });
    h = await startStorageHarness('spfaults');
    poolId = randomUUID();
    const added = await outcome(
      await send('AddStoragePool', poolId, {
        name: 'sp-faults',
        plugin: 'storpool',
        zoneId: 'z1',
        config: { host: '127.0.0.1', port: sim.port, authToken: TOKEN, template: 'nvme', devicePath: sim.devicePathTemplate, timeoutMs: 1000, transientRetryBaseMs: 10 },
      }),
    );
    expect(added).toMatchObject({ type: 'StoragePoolAdded' });
  });

  afterAll(async () => {
    await h?.close();
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('retries a 503 marked transient and creates the volume once', async () => {
    const volumeId = randomUUID();
    await sim.faults.inject('5xx', 2);
    expect(await create(volumeId)).toMatchObject({ type: 'VolumeCreated' });
    expect((await onArray()).filter((n) => n.includes(volumeId))).toHaveLength(1);
  });

  it('adopts the volume the array made when only the answer to the create was lost', async () => {
    const volumeId = randomUUID();
    await sim.faults.inject('lost-answer', 1);
    expect(await create(volumeId)).toMatchObject({ type: 'VolumeCreated' });
    expect((await onArray()).filter((n) => n.includes(volumeId))).toHaveLength(1);
  });

  it('deletes a volume whose first backend call timed out, instead of refusing the delete', async () => {
    const volumeId = randomUUID();
    expect(await create(volumeId)).toMatchObject({ type: 'VolumeCreated' });
    await sim.faults.inject('timeout', 1);
    const deleted = await outcome(await send('DeleteVolume', volumeId, {}));
    expect(deleted).toMatchObject({ type: 'VolumeDeleted' });
    expect((await onArray()).filter((n) => n.includes(volumeId))).toEqual([]);
  });

  it('ends a create refused with a 401 in one failure naming the pool token, not quoting it', async () => {
    const volumeId = randomUUID();
    await sim.faults.inject('401', 1);
    const failed = await create(volumeId);
    expect(failed).toMatchObject({ type: 'VolumeCreationFailed', data: { error: { code: 'storpool.auth_failed' } } });
    expect(JSON.stringify(h.events)).not.toContain(TOKEN);
    expect((await onArray()).filter((n) => n.includes(volumeId))).toEqual([]);
  });
});
