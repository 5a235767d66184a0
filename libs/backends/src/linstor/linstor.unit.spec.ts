import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriverFromConfig, isBackendError, redactConfig, type BackendError } from '@strata/plugin-sdk';
import { runPrimaryStorageConformance } from '../conformance';
import { LinstorClient } from './linstor.client';
import { LinstorContract } from './linstor-contract.spec';
import { LinstorDriver, DATA_MOVER_HOST, PROP, QOS_PROPS } from './linstor.driver';
import { CODE, parseLinstorJson, rcCode, rcType, retCode, stringifyLinstorJson, toLinstorError } from './linstor.errors';
import { linstorManifest } from './linstor.manifest';
import { linstorPlugin, parseLinstorUrl } from './linstor.plugin';
import { startLinstorSimulator, type LinstorSimulator, type LinstorSimulatorOptions } from './simulator/linstor-simulator';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TOKEN = 'tok-3f9a-very-secret';
const CLIENT_TIMEOUT_MS = 800;

// One recorder for the whole file: the contract check at the end validates all of it.
const contract = new LinstorContract();

interface Harness {
  readonly sim: LinstorSimulator;
  readonly dir: string;
  driver(config?: Record<string, unknown>): LinstorDriver;
  cleanup(): Promise<void>;
}

async function harness(options: Partial<LinstorSimulatorOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-linstor-'));
  const sim = await startLinstorSimulator({
    dataDir: dir,
    port: 0,
    disklessNodes: ['host-1', 'host-2'],
    faultHoldMs: CLIENT_TIMEOUT_MS * 3,
    cloneDelayMs: 30,
    onExchange: (exchange) => contract.record(exchange),
    ...options,
  });
  const drivers: LinstorDriver[] = [];
  return {
    sim,
    dir,
    driver: (config = {}) => {
      const driver = createDriverFromConfig(
        linstorPlugin,
        {
          controllerUrl: sim.url,
          resourceGroup: 'strata-rg',
          timeoutMs: CLIENT_TIMEOUT_MS,
          diskWaitMs: 2000,
          ...(options.token !== undefined ? { token: options.token } : {}),
          ...config,
        },
        { installationId: 't3st' },
      ) as LinstorDriver;
      drivers.push(driver);
      return driver;
    },
    cleanup: async () => {
      for (const driver of drivers) await driver.close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    if (isBackendError(error)) return error;
    throw new Error(`expected a BackendError, got ${error instanceof Error ? error.stack : String(error)}`);
  }
  throw new Error('expected the call to fail');
}

const name = (n: number): string => `cs-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

// ---- the shared conformance suite, with token auth on (401 is terminal: tokens are static)

runPrimaryStorageConformance('linstor', async () => {
  const h = await harness({ token: TOKEN });
  return {
    driver: h.driver(),
    cleanup: h.cleanup,
    host: 'host-1',
    secrets: [TOKEN],
    faults: { inject: async (fault, times) => h.sim.faults.inject(fault, times), on401: 'terminal', clientTimeoutMs: CLIENT_TIMEOUT_MS },
  };
});

// Again with copy-mode clones and no token (auth off, the controller's default): 401 stays terminal.
runPrimaryStorageConformance('linstor (clone mode copy, no token)', async () => {
  const h = await harness();
  return {
    driver: h.driver({ cloneMode: 'copy', capacityMode: 'average' }),
    cleanup: h.cleanup,
    host: 'host-2',
    faults: { inject: async (fault, times) => h.sim.faults.inject(fault, times), on401: 'terminal', clientTimeoutMs: CLIENT_TIMEOUT_MS },
  };
});

describe('linstor: ret_code and error mapping', () => {
  it('keeps ret_codes beyond 2^53 exact (JSON.parse alone would not)', () => {
    const text = '[{"ret_code":-4611686018427387603,"message":"Resource definition \'x\' not found."}]';
    const [rc] = parseLinstorJson(text) as { ret_code: bigint }[];
    expect(rc.ret_code).toBe(-4611686018427387603n);
    expect(BigInt((JSON.parse(text) as { ret_code: number }[])[0].ret_code)).not.toBe(-4611686018427387603n);
    expect(rcType(rc.ret_code)).toBe('error');
    expect(rcCode(rc.ret_code)).toBe(CODE.FAIL_NOT_FOUND_RSC_DFN);
    // The fallback for runtimes without the reviver's source text quotes the numbers first.
    const quoted = parseLinstorJson('[{"ret_code":"-4611686018427387603","message":"m"}]') as { ret_code: bigint }[];
    expect(quoted[0].ret_code).toBe(-4611686018427387603n);
    expect(stringifyLinstorJson([rc])).toBe('[{"ret_code":-4611686018427387603,"message":"Resource definition \'x\' not found."}]');
  });

  it('reads success, info and warning codes by their type bits', () => {
    // RD created, as the controller reports it: MASK_CRT | MASK_RSC_DFN | CREATED.
    const created = (parseLinstorJson('[{"ret_code":20447233,"message":"created"}]') as { ret_code: bigint }[])[0].ret_code;
    expect(created).toBe(20447233n);
    expect([rcType(created), rcCode(created)]).toEqual(['success', CODE.CREATED]);
    const warnNotFound = retCode('warning', CODE.WARN_NOT_FOUND);
    expect(warnNotFound).toBe(-9223372036854772808n);
    expect([rcType(warnNotFound), rcCode(warnNotFound)]).toEqual(['warning', 3000]);
    expect(rcType(retCode('info', 0))).toBe('info');
  });

  it.each([
    [CODE.FAIL_NOT_FOUND_RSC_DFN, 500, 'not_found'],
    [CODE.FAIL_EXISTS_RSC_DFN, 500, 'conflict'],
    [CODE.FAIL_INVLD_RSC_NAME, 500, 'invalid'],
    [CODE.FAIL_INVLD_VLM_SIZE, 500, 'invalid'],
    [CODE.FAIL_NOT_ENOUGH_NODES, 500, 'capacity'],
    [CODE.FAIL_IN_USE, 500, 'conflict'],
    [CODE.FAIL_EXISTS_SNAPSHOT_DFN, 500, 'conflict'],
    [CODE.FAIL_RSC_BUSY, 500, 'transient'],
    [CODE.FAIL_SQL, 500, 'transient'],
    [CODE.FAIL_ACC_DENIED_COMMAND, 403, 'terminal'],
    [CODE.FAIL_UNKNOWN_ERROR, 500, 'terminal'],
  ] as const)('code %i (HTTP %i) maps to %s', (code, status, kind) => {
    const body = parseLinstorJson(stringifyLinstorJson([{ ret_code: retCode('error', code), message: 'm' }]));
    expect(toLinstorError('op x', status, body).kind).toBe(kind);
  });

  it('maps a 5xx without an ApiCallRc to transient and a 401 to terminal', () => {
    expect(toLinstorError('op', 502, undefined)).toMatchObject({ kind: 'transient', code: 'linstor.server_error' });
    expect(toLinstorError('op', 401, [])).toMatchObject({ kind: 'terminal', code: 'linstor.unauthorized' });
  });
});

describe('linstor: client transport', () => {
  it('resends once after a broken connection, as python-linstor reconnects, and gives up after that', async () => {
    let seen = 0;
    const server = createServer((req, res) => {
      seen += 1;
      if (seen === 1 || seen >= 3) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"1.31.0","rest_api_version":"1.28.0"}');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const client = new LinstorClient({ controllerUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 1000, maxConnections: 2 });
    try {
      await expect(client.version()).resolves.toMatchObject({ version: '1.31.0' });
      expect(seen).toBe(2);
      expect(await rejection(client.version())).toMatchObject({ kind: 'transient', code: 'http.unreachable' });
      expect(seen).toBe(4);
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});

describe('linstor: configuration and URLs', () => {
  it('accepts linstor://host:port/<rg> and http://host:port?resourceGroup=<rg>', () => {
    expect(parseLinstorUrl('linstor://ctrl.example:3370/strata-rg')).toEqual({ controllerUrl: 'http://ctrl.example:3370', resourceGroup: 'strata-rg' });
    expect(parseLinstorUrl('linstor://ctrl.example/strata-rg?placeCount=3&cloneMode=copy&dataMoverHosts=node1%20node2')).toEqual({
      controllerUrl: 'http://ctrl.example:3370',
      resourceGroup: 'strata-rg',
      placeCount: 3,
      cloneMode: 'copy',
      dataMoverHosts: ['node1', 'node2'],
    });
    expect(parseLinstorUrl(`linstors://${TOKEN}@ctrl.example/rg1`)).toEqual({ controllerUrl: 'https://ctrl.example:3371', resourceGroup: 'rg1', token: TOKEN });
    expect(parseLinstorUrl('http://10.0.0.5:3370?resourceGroup=rg1&capacityMode=average')).toEqual({
      controllerUrl: 'http://10.0.0.5:3370',
      resourceGroup: 'rg1',
      capacityMode: 'average',
    });
    const config = linstorPlugin.parseConfig(parseLinstorUrl(`linstor://${TOKEN}@ctrl:3370/rg1?dataMoverHosts=node1,node2`));
    expect(config).toMatchObject({ controllerUrl: 'http://ctrl:3370', resourceGroup: 'rg1', token: TOKEN, dataMoverHosts: ['node1', 'node2'] });
    expect(redactConfig(linstorManifest, config)).toMatchObject({ token: '***' });
  });

  it.each([
    ['ftp://ctrl/rg', 'scheme'],
    ['linstor://ctrl:3370', 'resourceGroup'],
    ['linstor://ctrl/rg/extra', 'path'],
    ['http://ctrl:3370/rg', 'path'],
    ['linstor://ctrl/rg?colour=blue', 'query'],
    [`linstor://user:${TOKEN}@ctrl/rg`, 'userinfo'],
  ])('refuses %s naming the %s', (url, part) => {
    let error: unknown;
    try {
      parseLinstorUrl(url);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ kind: 'invalid', details: { violations: [expect.objectContaining({ rule: part })] } });
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('refuses bad settings with the field and rule, never the token', () => {
    let error: unknown;
    try {
      linstorPlugin.parseConfig({ controllerUrl: 'ctrl:3370', resourceGroup: '1rg', token: TOKEN, cloneMode: 'dd', placeCount: 9, capacityMode: 'max' });
    } catch (caught) {
      error = caught;
    }
    const fields = ((error as BackendError).details.violations ?? []).map((v) => v.field).sort();
    expect(fields).toEqual(['capacityMode', 'cloneMode', 'controllerUrl', 'placeCount', 'resourceGroup']);
    expect((error as Error).message).not.toContain(TOKEN);
  });
});

describe('linstor: driver against the simulator', () => {
  let h: Harness;
  afterEach(async () => h?.cleanup());

  it('connects only to an existing resource group and existing data-mover hosts', async () => {
    h = await harness();
    await expect(h.driver().connect()).resolves.toBeUndefined();
    expect(await rejection(h.driver({ resourceGroup: 'no-such-rg' }).connect())).toMatchObject({ kind: 'invalid', code: 'config.invalid' });
    const error = await rejection(h.driver({ dataMoverHosts: ['node1', 'ghost'] }).connect());
    expect(error).toMatchObject({ kind: 'invalid' });
    expect(error.message).toContain('ghost');
  });

  it('spawns from the resource group with KiB sizes and the configured replica count', async () => {
    h = await harness();
    const driver = h.driver({ placeCount: 3 });
    await driver.connect();
    await driver.createVolume({ name: name(1), sizeBytes: 5 * MiB + 3 * KiB });
    const [rd] = await driver.client.resourceDefinitions([name(1)]);
    expect(rd).toMatchObject({ resource_group_name: 'strata-rg', volume_definitions: [expect.objectContaining({ volume_number: 0, size_kib: 5 * 1024 + 3 })] });
    const replicas = await driver.client.viewResources([name(1)]);
    expect(replicas.map((r) => r.node_name).sort()).toEqual(['node1', 'node2', 'node3']);
    // The group's own place_count (2) applies when the pool sets none.
    const plain = h.driver();
    await plain.createVolume({ name: name(2), sizeBytes: 4 * MiB });
    expect(await plain.client.viewResources([name(2)])).toHaveLength(2);
  });

  it('maps FAIL_NOT_ENOUGH_NODES to capacity and leaves no half-made volume', async () => {
    h = await harness();
    const driver = h.driver({ placeCount: 4 });
    const error = await rejection(driver.createVolume({ name: name(3), sizeBytes: 4 * MiB }));
    expect(error).toMatchObject({ kind: 'capacity', code: 'linstor.not_enough_nodes' });
    expect(error.message).toContain('Not enough available nodes');
    expect(await driver.listVolumes()).toEqual([]);
  });

  it('finishes a create that crashed after the definition was made (no replicas yet)', async () => {
    h = await harness();
    const driver = h.driver();
    // A definition with VD 0 but no resources, as a crash between steps leaves it.
    const spawnedDefinitionsOnly = await fetch(`${h.sim.url}/v1/resource-groups/strata-rg/spawn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resource_definition_name: name(5), volume_sizes: [4096], definitions_only: true }),
    });
    expect(spawnedDefinitionsOnly.status).toBe(201);
    expect(await driver.client.viewResources([name(5)])).toEqual([]);
    await expect(driver.createVolume({ name: name(5), sizeBytes: 4 * MiB })).resolves.toEqual({ name: name(5), sizeBytes: 4 * MiB });
    expect(await driver.client.viewResources([name(5)])).toHaveLength(2);
  });

  it("enforces LINSTOR's name rules, and names are unique regardless of case", async () => {
    h = await harness();
    const driver = h.driver();
    for (const bad of ['1cs-abc', 'c', 'cs.abc', '-cs', `c${'s'.repeat(48)}`, '__']) {
      expect(await rejection(driver.createVolume({ name: bad, sizeBytes: 4 * MiB }))).toMatchObject({ kind: 'invalid' });
    }
    // The controller itself refuses what the driver would have.
    const reply = await fetch(`${h.sim.url}/v1/resource-groups/strata-rg/spawn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resource_definition_name: '9bad', volume_sizes: [4096] }),
    });
    expect(reply.status).toBe(500);
    const [rc] = parseLinstorJson(await reply.text()) as { ret_code: bigint }[];
    expect(rcCode(rc.ret_code)).toBe(CODE.FAIL_INVLD_RSC_NAME);

    await driver.createVolume({ name: 'cs-Mixed_Case', sizeBytes: 4 * MiB });
    await expect(driver.createVolume({ name: 'CS-MIXED_CASE', sizeBytes: 4 * MiB })).resolves.toMatchObject({ name: 'cs-Mixed_Case' });
    const duplicate = await rejection(driver.client.spawn('strata-rg', { resource_definition_name: 'cs-mixed_case', volume_sizes: [4096] }));
    expect(duplicate).toMatchObject({ kind: 'conflict', code: 'linstor.exists' });
  });

  it('refuses to delete a volume with snapshots, naming them; the tree delete removes snapshots first', async () => {
    h = await harness();
    const driver = h.driver();
    await driver.createVolume({ name: name(6), sizeBytes: 4 * MiB });
    await driver.createSnapshot(name(6), 'snap-a');
    await driver.createSnapshot(name(6), 'snap-b');
    const error = await rejection(driver.deleteVolume(name(6)));
    expect(error).toMatchObject({ kind: 'conflict', code: 'linstor.has_snapshots', details: { snapshots: ['snap-a', 'snap-b'] } });
    expect(error.message).toContain('snap-a');
    await driver.deleteVolumeTree(name(6));
    expect(await driver.listVolumes()).toEqual([]);
    await expect(stat(join(h.dir, 'snapshots', name(6)))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('answers a delete of a missing definition with WARN_NOT_FOUND and HTTP 200', async () => {
    h = await harness();
    const reply = await fetch(`${h.sim.url}/v1/resource-definitions/cs-missing`, { method: 'DELETE' });
    expect(reply.status).toBe(200);
    const [rc] = parseLinstorJson(await reply.text()) as { ret_code: bigint }[];
    expect([rcType(rc.ret_code), rcCode(rc.ret_code)]).toEqual(['warning', CODE.WARN_NOT_FOUND]);
    const missing = await fetch(`${h.sim.url}/v1/resource-definitions/cs-missing/snapshots`);
    expect(missing.status).toBe(404);
  });

  it('grows but never shrinks, and the backing file follows the size', async () => {
    h = await harness();
    const driver = h.driver();
    await driver.createVolume({ name: name(7), sizeBytes: 4 * MiB });
    const { devicePath } = await driver.grantAccess(name(7), 'host-1');
    await driver.resizeVolume(name(7), 8 * MiB, { allowShrink: false });
    expect((await stat(devicePath)).size).toBe(8 * MiB);
    const shrink = await rejection(driver.resizeVolume(name(7), 4 * MiB, { allowShrink: true }));
    expect(shrink.kind).toBe('invalid');
    const direct = await rejection(driver.client.modifyVolumeDefinition(name(7), 0, { size_kib: 4096 }, 'shrink'));
    expect(direct).toMatchObject({ kind: 'invalid', details: { linstorCode: CODE.FAIL_INVLD_VLM_SIZE } });
  });

  it('attaches through a diskless resource and detaches by deleting only that; a diskful replica is never removed', async () => {
    h = await harness();
    const driver = h.driver();
    await driver.createVolume({ name: name(8), sizeBytes: 4 * MiB });
    const diskfulNodes = (await driver.client.viewResources([name(8)])).map((r) => r.node_name);
    expect(diskfulNodes).toHaveLength(2);

    const grant = await driver.grantAccess(name(8), 'host-2');
    const [onHost] = await driver.client.viewResources([name(8)], ['host-2']);
    expect(onHost.flags).toEqual(expect.arrayContaining(['DISKLESS', 'DRBD_DISKLESS']));
    expect(grant.devicePath).toBe(onHost.volumes?.[0]?.device_path);
    // One sparse file stands for every replica: the device is a file that allocates nothing yet.
    expect((await stat(grant.devicePath)).blocks).toBe(0);

    // A node holding a replica gets no second resource, and detaching it keeps the replica.
    await driver.grantAccess(name(8), diskfulNodes[0]);
    await driver.revokeAccess(name(8), diskfulNodes[0]);
    await driver.revokeAccess(name(8), 'host-2');
    const left = await driver.client.viewResources([name(8)]);
    expect(left.map((r) => r.node_name).sort()).toEqual([...diskfulNodes].sort());
    expect(left.every((r) => !(r.flags ?? []).includes('DISKLESS'))).toBe(true);

    expect(await rejection(driver.grantAccess(name(8), 'no-such-node'))).toMatchObject({ kind: 'not_found' });
  });

  it('sends grants for the storage service itself to a data-mover host', async () => {
    h = await harness();
    await expect(h.driver().grantAccess('cs-none', DATA_MOVER_HOST)).rejects.toMatchObject({ kind: 'not_found' });
    const plain = h.driver();
    await plain.createVolume({ name: name(9), sizeBytes: 4 * MiB });
    expect(await rejection(plain.grantAccess(name(9), DATA_MOVER_HOST))).toMatchObject({ kind: 'invalid', code: 'linstor.no_data_mover' });

    const driver = h.driver({ dataMoverHosts: ['host-2'] });
    await driver.connect();
    const grant = await driver.grantAccess(name(9), DATA_MOVER_HOST);
    expect((await driver.client.viewResources([name(9)], ['host-2'])).map((r) => r.flags)).toEqual([expect.arrayContaining(['DISKLESS'])]);
    expect(await driver.grantAccess(name(9), DATA_MOVER_HOST)).toEqual(grant);
    await driver.revokeAccess(name(9), DATA_MOVER_HOST);
    expect(await driver.client.viewResources([name(9)], ['host-2'])).toEqual([]);

    // A data mover that already holds a replica is preferred: no diskless resource is needed.
    const replicas = (await driver.client.viewResources([name(9)])).map((r) => r.node_name);
    const local = h.driver({ dataMoverHosts: ['host-1', replicas[1]] });
    await local.grantAccess(name(9), DATA_MOVER_HOST);
    expect((await local.client.viewResources([name(9)])).map((r) => r.node_name).sort()).toEqual([...replicas].sort());
    await local.revokeAccess(name(9), DATA_MOVER_HOST);
    expect(await local.client.viewResources([name(9)])).toHaveLength(2);
  });

  it.each(['snapshot', 'copy'] as const)('clones in %s mode: the snapshot content in an RD tagged with its origin', async (cloneMode) => {
    h = await harness();
    const driver = h.driver({ cloneMode });
    await driver.createVolume({ name: name(10), sizeBytes: 4 * MiB });
    const { devicePath } = await driver.grantAccess(name(10), 'host-1');
    const file = await open(devicePath, 'r+');
    await file.write(Buffer.from('before-snapshot'), 0, 15, 1 * MiB);
    await file.close();
    await driver.createSnapshot(name(10), 'snap-1');
    const after = await open(devicePath, 'r+');
    await after.write(Buffer.from('after--snapshot'), 0, 15, 1 * MiB);
    await after.close();

    await expect(driver.cloneFromSnapshot({ sourceVolumeName: name(10), snapshotName: 'snap-1', name: name(11), sizeBytes: 8 * MiB })).resolves.toEqual({
      name: name(11),
      sizeBytes: 8 * MiB,
    });
    const [clone] = await driver.client.resourceDefinitions([name(11)]);
    expect(clone.props).toMatchObject({ [PROP.cloneOf]: name(10), [PROP.cloneSnapshot]: 'snap-1' });
    const cloneDevice = (await driver.grantAccess(name(11), 'host-1')).devicePath;
    const buffer = Buffer.alloc(15);
    const handle = await open(cloneDevice, 'r');
    await handle.read(buffer, 0, 15, 1 * MiB);
    await handle.close();
    expect(buffer.toString()).toBe('before-snapshot');
    expect((await stat(cloneDevice)).size).toBe(8 * MiB);
    // Copy mode leaves no restore target behind, and only the two volumes are listed.
    expect((await driver.client.resourceDefinitions()).map((rd) => rd.name).sort()).toEqual([name(10), name(11)]);
    expect((await driver.getVolumeTree(name(11))).members.map((m) => `${m.kind}:${m.name}:${m.parent}`)).toEqual([
      `volume:${name(10)}:null`,
      `snapshot:snap-1:${name(10)}`,
      `clone:${name(11)}:snap-1`,
    ]);
  });

  it('rolls back only to the newest snapshot, and refuses while the volume is in use', async () => {
    h = await harness();
    const driver = h.driver();
    await driver.createVolume({ name: name(12), sizeBytes: 4 * MiB });
    await driver.createSnapshot(name(12), 'snap-old');
    await driver.createSnapshot(name(12), 'snap-new');
    expect(await rejection(driver.revertToSnapshot(name(12), 'snap-old'))).toMatchObject({ kind: 'invalid', code: 'linstor.revert_not_latest' });
    await driver.grantAccess(name(12), 'host-1');
    h.sim.setInUse(name(12), 'host-1', true);
    expect(await rejection(driver.revertToSnapshot(name(12), 'snap-new'))).toMatchObject({ kind: 'conflict', code: 'linstor.in_use' });
    // A VM still running on the host: neither detach nor the tree delete may pull the volume away.
    expect(await rejection(driver.revokeAccess(name(12), 'host-1'))).toMatchObject({ kind: 'conflict', code: 'linstor.in_use' });
    expect(await rejection(driver.deleteVolumeTree(name(12)))).toMatchObject({ kind: 'conflict', code: 'linstor.in_use' });
    expect((await driver.listSnapshots(name(12))).map((snapshot) => snapshot.name)).toEqual(['snap-old', 'snap-new']);
    h.sim.setInUse(name(12), 'host-1', false);
    await expect(driver.revertToSnapshot(name(12), 'snap-new')).resolves.toBeUndefined();
  });

  it('takes a group snapshot in one multi-snapshot call at one point in time', async () => {
    h = await harness();
    const driver = h.driver();
    await driver.createVolume({ name: name(13), sizeBytes: 4 * MiB });
    await driver.createVolume({ name: name(14), sizeBytes: 5 * MiB });
    const before = contract.recorded.length;
    await driver.createGroupSnapshot('vmsnap-1', [
      { volumeName: name(13), snapshotName: 'vmsnap-1' },
      { volumeName: name(14), snapshotName: 'vmsnap-1' },
    ]);
    const posts = contract.recorded.slice(before).filter((e) => e.method === 'POST');
    expect(posts.map((e) => e.url)).toEqual(['/v1/actions/snapshot/multi']);
    const [a] = await driver.client.snapshots(name(13));
    const [b] = await driver.client.snapshots(name(14));
    expect(a.snapshots?.[0]?.create_timestamp).toBe(b.snapshots?.[0]?.create_timestamp);
  });

  it('sets QoS as blkio throttle props on volume definition 0, and tags as Aux/ props', async () => {
    h = await harness();
    const driver = h.driver();
    await driver.createVolume({ name: name(15), sizeBytes: 4 * MiB });
    await driver.setQos(name(15), { iops: 500, bandwidthBytesPerSecond: 10 * MiB });
    let [rd] = await driver.client.resourceDefinitions([name(15)]);
    expect(rd.volume_definitions?.[0]?.props).toEqual({
      [QOS_PROPS.readIops]: '500',
      [QOS_PROPS.writeIops]: '500',
      [QOS_PROPS.readBytes]: String(10 * MiB),
      [QOS_PROPS.writeBytes]: String(10 * MiB),
    });
    await driver.setQos(name(15), { iops: null });
    [rd] = await driver.client.resourceDefinitions([name(15)]);
    expect(Object.keys(rd.volume_definitions?.[0]?.props ?? {}).sort()).toEqual([QOS_PROPS.readBytes, QOS_PROPS.writeBytes].sort());

    await driver.setTags(name(15), { owner: 'tenant-1', tier: 'gold' });
    await driver.setTags(name(15), { tier: null });
    expect(await driver.getTags(name(15))).toEqual({ owner: 'tenant-1' });
    [rd] = await driver.client.resourceDefinitions([name(15)]);
    expect(rd.props).toMatchObject({ 'Aux/strata/tag/owner': 'tenant-1' });
  });

  it('reports capacity by the least free pool or the average, skipping diskless pools', async () => {
    h = await harness({
      nodes: [
        { name: 'node1', pools: [{ name: 'data', provider: 'LVM', totalKib: 100 * 1024 * 1024 }] },
        { name: 'node2', pools: [{ name: 'data', provider: 'LVM', totalKib: 200 * 1024 * 1024 }] },
        { name: 'node3', pools: [{ name: 'data', provider: 'LVM', totalKib: 300 * 1024 * 1024 }] },
      ],
    });
    const least = h.driver();
    const average = h.driver({ capacityMode: 'average' });
    expect(await least.getCapacity()).toEqual({ totalBytes: 100 * GiB, usedBytes: 0, freeBytes: 100 * GiB });
    expect(await average.getCapacity()).toEqual({ totalBytes: 200 * GiB, usedBytes: 0, freeBytes: 200 * GiB });
    // Thick pools are charged the full size on both replicas' nodes (the two with most room).
    await least.createVolume({ name: name(16), sizeBytes: 30 * GiB });
    expect(await least.getCapacity()).toEqual({ totalBytes: 100 * GiB, usedBytes: 0, freeBytes: 100 * GiB });
    expect(await average.getCapacity()).toEqual({ totalBytes: 200 * GiB, usedBytes: 20 * GiB, freeBytes: 180 * GiB });
    await least.createVolume({ name: name(17), sizeBytes: 90 * GiB });
    // node3 (270 GiB free) and node2 (170 GiB free) take it: node2 is now the least free pool.
    expect((await least.getCapacity()).freeBytes).toBe(80 * GiB);
    const tooBig = await rejection(least.createVolume({ name: name(18), sizeBytes: 150 * GiB }));
    expect(tooBig.kind).toBe('capacity');
  });

  it('reports 401 as terminal without the token, and a wrong token never appears in errors', async () => {
    h = await harness({ token: TOKEN });
    const noToken = h.driver({ token: undefined });
    const error = await rejection(noToken.listVolumes());
    expect(error).toMatchObject({ kind: 'terminal', code: 'linstor.unauthorized' });
    const wrong = h.driver({ token: 'wrong-token-value' });
    const wrongError = await rejection(wrong.connect());
    expect(wrongError.kind).toBe('terminal');
    expect(`${wrongError.message} ${JSON.stringify(wrongError.details)}`).not.toContain('wrong-token-value');
    await expect(h.driver().connect()).resolves.toBeUndefined();
  });

  it('accepts faults over HTTP (POST /_sim/faults) and answers them in the vendor shape', async () => {
    h = await harness();
    const posted = await fetch(`${h.sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ fault: '5xx', times: 2 }) });
    expect(posted.status).toBe(204);
    const driver = h.driver();
    for (let i = 0; i < 2; i += 1) expect(await rejection(driver.listVolumes())).toMatchObject({ kind: 'transient', code: 'linstor.database' });
    await expect(driver.listVolumes()).resolves.toEqual([]);
    expect((await fetch(`${h.sim.url}/_sim/faults`, { method: 'POST', body: '{"fault":"boom","times":1}' })).status).toBe(400);
  });
});

describe('linstor: the contract checker itself', () => {
  it('fails, saying so, when the official spec file is missing', () => {
    expect(() => new LinstorContract('/nonexistent/shared/reference/linstor-rest-v1-openapi.yaml')).toThrow(/official spec is missing at/);
  });

  it('reports the operation, the path and the schema error of a bad exchange', () => {
    const check = new LinstorContract();
    check.record({ method: 'POST', url: '/v1/resource-groups/rg/spawn', requestBody: '{"resource_definition_name":"cs-x","volume_sizes":["4096"]}', status: 201, responseBody: '[{"ret_code":1}]' });
    check.record({ method: 'GET', url: '/v1/resource-definitions?with_volume_definitions=maybe', requestBody: '', status: 200, responseBody: '[{"name":"cs-x","volume_definitions":[{"volume_number":0}]}]' });
    check.record({ method: 'GET', url: '/v1/resource-definitions/cs-x', requestBody: '', status: 200, responseBody: '{}' });
    const { problems } = check.violations();
    expect(problems).toEqual([
      expect.stringMatching(/^resourceGroupSpawn \(POST \/v1\/resource-groups\/rg\/spawn\) -> 201: request body: \/volume_sizes\/0 must be integer/),
      expect.stringMatching(/^resourceGroupSpawn .*response body: \/0 must have required property 'message'/),
      expect.stringMatching(/^resourceDefinitionList .*query parameter 'with_volume_definitions': .*must be boolean/),
      expect.stringMatching(/^resourceDefinitionList .*response body: \/0\/volume_definitions\/0 must have required property 'size_kib'/),
      'GET /v1/resource-definitions/cs-x: no operation in the spec has this method and path',
    ]);
  });
});

// Last, so that it sees the traffic of every test above (jest runs a file's tests in order).
describe('linstor: contract check against the official OpenAPI spec', () => {
  it('every request sent and every reply returned in this suite validates against linstor-rest-v1-openapi.yaml', () => {
    const { problems, report } = contract.violations();
    if (process.env.LINSTOR_CONTRACT_REPORT) process.stdout.write(`${JSON.stringify({ ...report, operations: [...report.operations].sort() })}\n`);
    expect(problems).toEqual([]);
    // Only the exceptions documented in linstor-contract.spec.ts were needed.
    for (const exception of Object.keys(report.exceptions)) expect(['ERROR_LIST_FOR_500', 'UNDECLARED_ERROR_STATUS']).toContain(exception);
    expect(report.checked).toBeGreaterThan(200);
    // The operations the client relies on were all exercised.
    for (const operation of [
      'resourceGroupSpawn',
      'resourceDefinitionList',
      'resourceDefinitionDelete',
      'volumeDefinitionModify',
      'resourceMakeAvailableOnNode',
      'resourceDelete',
      'viewResources',
      'viewStoragePools',
      'resourceSnapshotCreate',
      'resourceSnapshotsList',
      'resourceSnapshotDelete',
      'createMultiSnapshot',
      'resourceSnapshotRollback',
      'resourceSnapshotRestore',
      'resourceSnapshotsRestoreVolumeDefinition',
      'resourceDefinitionClone',
      'resourceDefinitionCloneStatus',
      'resourceDefinitionCreate',
      'resourceGroupList',
      'nodeList',
      'controllerVersion',
      'resourceDefinitionModify',
    ]) {
      expect([operation, report.operations.has(operation)]).toEqual([operation, true]);
    }
  });
});
