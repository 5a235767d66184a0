import { randomUUID } from 'node:crypto';
import { lstat, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backendObjectName,
  backendVolumeName,
  createDriverFromConfig,
  isBackendError,
  OBJECT_PREFIXES,
  poolKeyOf,
  redactConfig,
  roundUpToGranularity,
  type BackendError,
} from '@strata/plugin-sdk';
import { runPrimaryStorageConformance } from '../conformance';
import { PowerFlexClient, type PfVolume } from './powerflex.client';
import { PowerFlexDriver, validatePowerFlexQos } from './powerflex.driver';
import { toPowerFlexError } from './powerflex.errors';
import { powerflexManifest } from './powerflex.manifest';
import { parsePowerFlexUrl, powerflexPlugin } from './powerflex.plugin';
import { startPowerFlexSimulator, type PowerFlexSimulator, type PowerFlexSimulatorOptions } from './simulator';
import { scanCopy, sparseCopy } from '../sparse/sparse-files';

const KiB = 1024;
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const CLIENT_TIMEOUT_MS = 500;
const POOL_UUID = 'fd5227cb-5538-4fef-8427-4aa97786ccbc';

interface Running {
  readonly sim: PowerFlexSimulator;
  readonly dataDir: string;
  stop(): Promise<void>;
}

async function startSim(options: Partial<PowerFlexSimulatorOptions> = {}): Promise<Running> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-pflex-'));
  const sim = await startPowerFlexSimulator({ port: 0, dataDir, timeoutFaultMs: 2 * CLIENT_TIMEOUT_MS, password: 'S3cr3t-Pa55!', ...options });
  return {
    sim,
    dataDir,
    stop: async () => {
      await sim.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function rawConfig(sim: PowerFlexSimulator, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    gatewayUrl: sim.url,
    username: sim.username,
    password: sim.password,
    storagePool: 'pool1',
    deviceDir: sim.deviceDirTemplate,
    timeoutMs: CLIENT_TIMEOUT_MS,
    diskWaitMs: 2000,
    ...overrides,
  };
}

function driverFor(sim: PowerFlexSimulator, overrides: Record<string, unknown> = {}): PowerFlexDriver {
  return new PowerFlexDriver(powerflexPlugin.parseConfig(rawConfig(sim, overrides)), { retryDelayMs: 20 });
}

function clientFor(sim: PowerFlexSimulator): PowerFlexClient {
  return new PowerFlexClient({ gatewayUrl: sim.url, username: sim.username, password: sim.password, timeoutMs: 2000, maxConnections: 4 });
}

const ids = (): { volumeId: string; poolKey: string; installationId: string } => ({
  volumeId: randomUUID(),
  poolKey: poolKeyOf(POOL_UUID),
  installationId: 'x7q2',
});
const volumeName = (): string => backendVolumeName(powerflexManifest, ids());
const snapshotName = (): string => backendObjectName(powerflexManifest, OBJECT_PREFIXES.snapshot, ids());

async function rejection(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    if (isBackendError(error)) return error;
    throw new Error(`expected a BackendError, got ${error instanceof Error ? error.stack : String(error)}`);
  }
  throw new Error('expected the call to fail');
}

function thrown(fn: () => unknown): BackendError {
  try {
    fn();
  } catch (error) {
    if (isBackendError(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

runPrimaryStorageConformance('powerflex', async () => {
  const running = await startSim();
  const driver = createDriverFromConfig(powerflexPlugin, rawConfig(running.sim), { installationId: 't3st' });
  return {
    driver,
    cleanup: running.stop,
    host: running.sim.sdcs[0]?.id ?? 'host-1',
    secrets: [running.sim.password],
    faults: {
      inject: (fault, times) => running.sim.faults.inject(fault, times),
      on401: 'relogin',
      clientTimeoutMs: CLIENT_TIMEOUT_MS,
    },
  };
});

describe('powerflex backend', () => {
  let running: Running;
  let driver: PowerFlexDriver;

  beforeEach(async () => {
    running = await startSim();
    driver = driverFor(running.sim);
    await driver.connect();
  });

  afterEach(async () => {
    await driver.close();
    await running.stop();
  });

  async function pfVolume(name: string): Promise<PfVolume> {
    const volume = await clientFor(running.sim).findVolume(name);
    if (volume === undefined) throw new Error(`no volume ${name}`);
    return volume;
  }

  describe('the simulator beside its API', () => {
    it('lists volumes and pending faults at /_sim/inventory without spending a fault', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      await running.sim.faults.inject('401', 2);
      const inventory = async () => (await (await fetch(`${running.sim.url}/_sim/inventory`)).json()) as { volumes: { name: string }[]; pendingFaults: number };
      expect(await inventory()).toMatchObject({ volumes: [{ name }], pendingFaults: 2 });
      expect(running.sim.faults.pending()).toBe(2);
      expect(running.sim.inventory().map((v) => v.name)).toEqual([name]);
      // The two 401s: the call and the login after it; the driver's answer is terminal.
      expect(await rejection(driver.listVolumes())).toMatchObject({ kind: 'terminal' });
      expect(running.sim.faults.pending()).toBe(0);
    });
  });

  describe('sizes: 8 GiB blocks', () => {
    it('declares 8 GiB granularity and minimum; 1 GiB rounds up to one 8 GiB block', async () => {
      expect(powerflexManifest.limits).toMatchObject({ sizeGranularityBytes: 8 * GiB, minSizeBytes: 8 * GiB });
      const rounded = roundUpToGranularity(GiB, powerflexManifest.limits.sizeGranularityBytes);
      expect(rounded).toBe(8 * GiB);
      const name = volumeName();
      await expect(driver.createVolume({ name, sizeBytes: rounded })).resolves.toEqual({ name, sizeBytes: 8 * GiB });
      expect((await pfVolume(name)).sizeInKb).toBe((8 * GiB) / KiB);
    });

    it('refuses an unrounded size before calling the gateway', async () => {
      const error = await rejection(driver.createVolume({ name: volumeName(), sizeBytes: 9 * GiB }));
      expect(error).toMatchObject({ kind: 'invalid', code: 'size.invalid' });
    });

    it('the gateway itself rounds a create up to 8 GiB and refuses a resize off the blocks (VOL_SIZE_ILLEGAL)', async () => {
      const client = clientFor(running.sim);
      const pool = running.sim.pools[0];
      await client.action('/api/types/Volume/instances', { name: 'raw-1g', storagePoolId: pool?.id, volumeSizeInKb: String(GiB / KiB) }, 'create');
      const volume = await pfVolume('raw-1g');
      expect(volume.sizeInKb * KiB).toBe(8 * GiB);
      const error = await rejection(client.volumeAction(volume.id, 'setVolumeSize', { sizeInGB: '12' }, 'resize raw-1g'));
      expect(error).toMatchObject({ kind: 'invalid', code: 'powerflex.size_illegal' });
      const shrink = await rejection(client.volumeAction(volume.id, 'setVolumeSize', { sizeInGB: '0' }, 'resize raw-1g'));
      expect(shrink.kind).toBe('invalid');
    });

    it('insists on string values in requests, as the gateway does', async () => {
      const error = await rejection(
        clientFor(running.sim).action('/api/types/Volume/instances', { name: 'numbers', storagePoolId: running.sim.pools[0]?.id, volumeSizeInKb: 8 }, 'create'),
      );
      expect(error).toMatchObject({ kind: 'invalid', code: 'powerflex.bad_request' });
    });

    it('grows in whole GB through setVolumeSize and never shrinks', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      await expect(driver.resizeVolume(name, 24 * GiB, { allowShrink: false })).resolves.toEqual({ name, sizeBytes: 24 * GiB });
      const error = await rejection(driver.resizeVolume(name, 16 * GiB, { allowShrink: true }));
      expect(error).toMatchObject({ kind: 'invalid', code: 'operation.unsupported' });
      expect((await pfVolume(name)).sizeInKb * KiB).toBe(24 * GiB);
      expect((await stat(join(running.dataDir, 'volumes', `${(await pfVolume(name)).id}.img`))).size).toBe(24 * GiB);
    });

    it('makes thick volumes when asked and counts them whole in capacity', async () => {
      const before = await driver.getCapacity();
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 16 * GiB, thin: false });
      expect((await pfVolume(name)).volumeType).toBe('ThickProvisioned');
      const after = await driver.getCapacity();
      expect(after.usedBytes - before.usedBytes).toBe(16 * GiB);
    });
  });

  describe('names: 31 characters', () => {
    it('names volumes vol-<id>-<pool key>-<installation id> within 31 characters, snapshots snap-...', () => {
      for (let i = 0; i < 20; i += 1) {
        const name = volumeName();
        expect(name).toMatch(/^vol-[0-9a-f]{17}-27cb-x7q2$/);
        expect(name.length).toBeLessThanOrEqual(31);
        const snapshot = snapshotName();
        expect(snapshot).toMatch(/^snap-[0-9a-f]{16}-27cb-x7q2$/);
        expect(snapshot).toHaveLength(31);
      }
    });

    it('refuses a 32-character name in the driver, and the gateway refuses it too', async () => {
      const long = `vol-${'a'.repeat(28)}`;
      expect(long).toHaveLength(32);
      expect((await rejection(driver.createVolume({ name: long, sizeBytes: 8 * GiB }))).kind).toBe('invalid');
      const error = await rejection(
        clientFor(running.sim).action('/api/types/Volume/instances', { name: long, storagePoolId: running.sim.pools[0]?.id, volumeSizeInKb: String(8 * MiB) }, 'create'),
      );
      expect(error).toMatchObject({ kind: 'invalid', code: 'powerflex.invalid_name' });
    });

    it('keeps names unique per system: the same name in another pool is a conflict', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      const other = driverFor(running.sim, { storagePool: 'pool2' });
      try {
        await other.connect();
        expect((await rejection(other.createVolume({ name, sizeBytes: 8 * GiB }))).kind).toBe('conflict');
        const raw = await rejection(
          clientFor(running.sim).action('/api/types/Volume/instances', { name, storagePoolId: running.sim.pools[1]?.id, volumeSizeInKb: String(8 * MiB) }, 'create'),
        );
        expect(raw).toMatchObject({ kind: 'conflict', code: 'powerflex.name_in_use' });
      } finally {
        await other.close();
      }
    });
  });

  describe('VTree limit', () => {
    it(
      'takes 127 snapshots and refuses the 128th (rc 182), also as a clone',
      async () => {
        const name = volumeName();
        await driver.createVolume({ name, sizeBytes: 8 * GiB });
        for (let i = 0; i < 127; i += 1) await driver.createSnapshot(name, snapshotName());
        const error = await rejection(driver.createSnapshot(name, snapshotName()));
        expect(error).toMatchObject({ kind: 'invalid', code: 'powerflex.vtree_snapshot_limit' });
        expect(error.details).toMatchObject({ rc: 182, vendorError: 'TOO_MANY_SNAPS_IN_VTREE' });
        expect(error.message).toContain('127');
        const [first] = await driver.listSnapshots(name);
        const clone = await rejection(driver.cloneFromSnapshot({ sourceVolumeName: name, snapshotName: first?.name ?? '', name: volumeName() }));
        expect(clone.code).toBe('powerflex.vtree_snapshot_limit');
        const tree = await driver.getVolumeTree(name);
        expect(tree).toMatchObject({ root: name, snapshotCount: 127, snapshotLimit: 127 });
        expect(tree.members).toHaveLength(128);
      },
      120_000,
    );
  });

  describe('token', () => {
    it('logs in again when the gateway has dropped an idle token, and the call succeeds', async () => {
      await running.stop();
      running = await startSim({ tokenIdleTimeoutMs: 300 });
      driver = driverFor(running.sim);
      await driver.connect();
      const before = running.sim.logins();
      expect(before).toBeGreaterThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 700));
      await expect(driver.listVolumes()).resolves.toEqual([]);
      expect(running.sim.logins()).toBe(before + 1);
      expect(running.sim.unauthorized()).toBe(1);
      // Fresh token, no further login.
      await driver.listVolumes();
      expect(running.sim.logins()).toBe(before + 1);
    });

    it('renews a token ahead of the gateway\'s idle timeout, without meeting a 401', async () => {
      await running.stop();
      running = await startSim({ tokenIdleTimeoutMs: 400 });
      driver = new PowerFlexDriver(powerflexPlugin.parseConfig(rawConfig(running.sim)), { sessionIdleMs: 200 });
      await driver.connect();
      const logins = running.sim.logins();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await expect(driver.listVolumes()).resolves.toEqual([]);
      expect(running.sim.logins()).toBe(logins + 1);
      expect(running.sim.unauthorized()).toBe(0);
    });

    it('retries once after a 401; a second 401 (the re-login refused) is terminal', async () => {
      await running.sim.faults.inject('401', 1);
      await expect(driver.listVolumes()).resolves.toEqual([]);
      expect(running.sim.logins()).toBe(2);
      await running.sim.faults.inject('401', 2);
      const error = await rejection(driver.listVolumes());
      expect(error).toMatchObject({ kind: 'terminal' });
      expect(error.message).not.toContain(running.sim.password);
    });

    it('is refused a login with a wrong password as terminal, without echoing it', async () => {
      const wrong = driverFor(running.sim, { password: 'Wr0ng-Secret' });
      const error = await rejection(wrong.connect());
      expect(error).toMatchObject({ kind: 'terminal', code: 'powerflex.login_failed' });
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('Wr0ng-Secret');
    });

    it('takes faults over HTTP too (POST /_sim/faults)', async () => {
      const response = await fetch(`${running.sim.url}/_sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fault: '5xx', times: 5 }),
      });
      expect(response.status).toBe(200);
      const error = await rejection(driver.createVolume({ name: volumeName(), sizeBytes: 8 * GiB }));
      expect(error).toMatchObject({ kind: 'transient', code: 'powerflex.server_error' });
    });
  });

  describe('pool URL and secrets', () => {
    it("parses the seed's example URL, decoding the password", () => {
      expect(parsePowerFlexUrl('powerflex://admin:P%40ssword123@10.2.3.139/cspool')).toEqual({
        gatewayUrl: 'https://10.2.3.139',
        username: 'admin',
        password: 'P@ssword123',
        storagePool: 'cspool',
      });
    });

    it('keeps a port, decodes the pool name, and takes ?protocol=http for a simulator', () => {
      expect(powerflexPlugin.parseUrl?.('powerflex://api:x%2Fy%3Az@gw.example:8443/my%20pool?protocol=http')).toEqual({
        gatewayUrl: 'http://gw.example:8443',
        username: 'api',
        password: 'x/y:z',
        storagePool: 'my pool',
      });
    });

    it('gives a config that parses, against a running simulator too', async () => {
      const url = `powerflex://${running.sim.username}:${encodeURIComponent(running.sim.password)}@${running.sim.url.replace('http://', '')}/pool2?protocol=http`;
      const config = powerflexPlugin.parseConfig({ ...parsePowerFlexUrl(url), deviceDir: running.sim.deviceDirTemplate });
      const fromUrl = powerflexPlugin.createDriver(config, { installationId: 'x7q2' });
      await fromUrl.connect();
      const name = volumeName();
      await fromUrl.createVolume({ name, sizeBytes: 8 * GiB });
      expect((await pfVolume(name)).storagePoolId).toBe(running.sim.pools[1]?.id);
      await fromUrl.close();
    });

    it.each([
      ['http://admin:Hunter2Secret@gw/pool', 'url', 'scheme'],
      ['powerflex://admin@gw/pool', 'password', 'required'],
      ['powerflex://:Hunter2Secret@gw/pool', 'username', 'required'],
      ['powerflex://admin:Hunter2Secret@gw/', 'storagePool', 'required'],
      ['powerflex://admin:Hunter2Secret@gw/a/b', 'storagePool', 'required'],
      ['powerflex://admin:Hunter2Secret%E0@gw/pool', 'password', 'urlEncoding'],
      ['powerflex://admin:Hunter2Secret@gw/pool?insecure=1', 'url', 'query'],
      ['powerflex://admin:Hunter2Secret@gw/pool#x', 'url', 'fragment'],
      ['powerflex://admin:Hunter2#Secret@gw/pool', 'url', 'isUrl'],
      ['not a url Hunter2Secret', 'url', 'isUrl'],
    ])('refuses %s naming %s, never echoing the password', (url, field, rule) => {
      const error = thrown(() => parsePowerFlexUrl(url));
      expect(error.kind).toBe('invalid');
      expect(error.details.violations).toEqual([expect.objectContaining({ field, rule })]);
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toMatch(/Hunter2|Secret/);
    });

    it('redacts the password in a config, parsed or raw, and keeps it out of config errors', () => {
      const raw = parsePowerFlexUrl('powerflex://admin:Hunter2Secret@gw.example/pool1');
      expect(powerflexManifest.secretConfigKeys).toEqual(['password']);
      const redacted = redactConfig(powerflexManifest, powerflexPlugin.parseConfig(raw));
      expect(redacted).toMatchObject({ password: '***', username: 'admin', storagePool: 'pool1', gatewayUrl: 'https://gw.example' });
      expect(JSON.stringify(redacted)).not.toContain('Hunter2Secret');
      const error = thrown(() => powerflexPlugin.parseConfig({ ...raw, gatewayUrl: 'ftp://x', storagePool: 'p'.repeat(40), timeoutMs: 1 }));
      expect(error.details.violations?.map((v) => v.field).sort()).toEqual(['gatewayUrl', 'storagePool', 'timeoutMs']);
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('Hunter2Secret');
    });

    it('keeps the password out of transport errors', async () => {
      const unreachable = new PowerFlexDriver(
        powerflexPlugin.parseConfig({ gatewayUrl: 'http://127.0.0.1:1', username: 'admin', password: 'Hunter2Secret', storagePool: 'pool1', timeoutMs: 300 }),
        { readRetries: 0 },
      );
      const error = await rejection(unreachable.connect());
      expect(error.kind).toBe('transient');
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('Hunter2Secret');
    });
  });

  describe('access and QoS', () => {
    it('maps by SDC id, IP or name; the device appears only while mapped; delete unmaps first', async () => {
      const [sdc1, sdc2] = running.sim.sdcs;
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      const byIp = await driver.grantAccess(name, sdc1?.ip ?? '');
      expect(byIp.devicePath).toBe(join(running.dataDir, `sdc-${sdc1?.id}`, `emc-vol-${running.sim.systemId}-${(await pfVolume(name)).id}`));
      expect((await lstat(byIp.devicePath)).isSymbolicLink()).toBe(true);
      expect(await driver.grantAccess(name, sdc1?.id ?? '')).toEqual(byIp);
      const second = await driver.grantAccess(name, 'host-2');
      expect(second.devicePath).toContain(`sdc-${sdc2?.id}`);
      expect((await pfVolume(name)).mappedSdcInfo?.map((m) => m.sdcId).sort()).toEqual([sdc1?.id, sdc2?.id].sort());

      await driver.revokeAccess(name, sdc1?.ip ?? '');
      await expect(lstat(byIp.devicePath)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await lstat(second.devicePath)).isSymbolicLink()).toBe(true);

      // The gateway refuses to remove a mapped volume; the driver unmaps it everywhere first.
      const mapped = await rejection(clientFor(running.sim).volumeAction((await pfVolume(name)).id, 'removeVolume', { removeMode: 'ONLY_ME' }, 'remove'));
      expect(mapped).toMatchObject({ kind: 'conflict', code: 'powerflex.volume_mapped' });
      await driver.deleteVolume(name);
      expect(await clientFor(running.sim).findVolume(name)).toBeUndefined();
      await expect(lstat(second.devicePath)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('reports an unknown host as not_found, and revoking from it as success', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      expect(await rejection(driver.grantAccess(name, 'no-such-host'))).toMatchObject({ kind: 'not_found', code: 'powerflex.sdc_not_found' });
      expect(await rejection(driver.grantAccess(name, '10.9.9.9'))).toMatchObject({ kind: 'not_found' });
      await expect(driver.revokeAccess(name, 'no-such-host')).resolves.toBeUndefined();
    });

    it('the gateway wants allowMultipleMappings for a second SDC', async () => {
      const [sdc1, sdc2] = running.sim.sdcs;
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      const id = (await pfVolume(name)).id;
      const client = clientFor(running.sim);
      await client.volumeAction(id, 'addMappedSdc', { sdcId: sdc1?.id ?? '' }, 'map');
      const error = await rejection(client.volumeAction(id, 'addMappedSdc', { sdcId: sdc2?.id ?? '' }, 'map'));
      expect(error).toMatchObject({ kind: 'conflict', code: 'powerflex.single_mapping' });
      const again = await rejection(client.volumeAction(id, 'addMappedSdc', { sdcId: sdc1?.id ?? '' }, 'map'));
      expect(again.code).toBe('powerflex.already_mapped');
    });

    it.each([
      [{ iops: 5 }, 'iops'],
      [{ iops: 10 }, 'iops'],
      [{ iops: -1 }, 'iops'],
      [{ bandwidthBytesPerSecond: 1000 }, 'bandwidthBytesPerSecond'],
      [{ bandwidthBytesPerSecond: 1536 * KiB }, 'bandwidthBytesPerSecond'],
      [{ tier: 'gold' }, 'tier'],
    ])('refuses QoS %j (%s)', (limits, field) => {
      const error = thrown(() => validatePowerFlexQos(limits));
      expect(error).toMatchObject({ kind: 'invalid', code: 'powerflex.qos_invalid' });
      expect(error.details.violations?.map((v) => v.field)).toEqual([field]);
    });

    it('turns QoS into the API units: iops as is, bandwidth in KB/s, null as 0 (unlimited)', () => {
      expect(validatePowerFlexQos({ iops: 11, bandwidthBytesPerSecond: 2 * MiB })).toEqual({ iops: 11, bandwidthKbps: 2048 });
      expect(validatePowerFlexQos({ iops: null, bandwidthBytesPerSecond: null })).toEqual({ iops: 0, bandwidthKbps: 0 });
      expect(validatePowerFlexQos({})).toEqual({});
    });

    it('applies limits to every mapping and again on later grants, also from a restarted driver', async () => {
      const [sdc1, sdc2] = running.sim.sdcs;
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      await driver.setQos(name, { iops: 5000, bandwidthBytesPerSecond: 100 * MiB });
      await driver.grantAccess(name, sdc1?.id ?? '');
      const limitsOf = async (sdcId: string | undefined): Promise<unknown> =>
        (await pfVolume(name)).mappedSdcInfo?.find((m) => m.sdcId === sdcId) ?? 'not mapped';
      expect(await limitsOf(sdc1?.id)).toMatchObject({ limitIops: 5000, limitBwInMbps: 100 });

      await driver.setQos(name, { iops: null });
      expect(await limitsOf(sdc1?.id)).toMatchObject({ limitIops: 0, limitBwInMbps: 100 });

      // A new driver knows nothing in memory: it takes the limits from the existing mapping.
      const restarted = driverFor(running.sim);
      try {
        await restarted.connect();
        await restarted.grantAccess(name, sdc2?.id ?? '');
        expect(await limitsOf(sdc2?.id)).toMatchObject({ limitIops: 0, limitBwInMbps: 100 });
      } finally {
        await restarted.close();
      }
    });

    it('the gateway enforces the QoS rules and wants a mapping', async () => {
      const [sdc1] = running.sim.sdcs;
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      const id = (await pfVolume(name)).id;
      const client = clientFor(running.sim);
      const unmapped = await rejection(client.volumeAction(id, 'setMappedSdcLimits', { sdcId: sdc1?.id ?? '', iopsLimit: '100' }, 'qos'));
      expect(unmapped.code).toBe('powerflex.not_mapped');
      await driver.grantAccess(name, sdc1?.id ?? '');
      const iops = await rejection(client.volumeAction(id, 'setMappedSdcLimits', { sdcId: sdc1?.id ?? '', iopsLimit: '7' }, 'qos'));
      expect(iops).toMatchObject({ kind: 'invalid', code: 'powerflex.qos_invalid' });
      const bw = await rejection(client.volumeAction(id, 'setMappedSdcLimits', { sdcId: sdc1?.id ?? '', bandwidthLimitInKbps: '1000' }, 'qos'));
      expect(bw).toMatchObject({ kind: 'invalid', code: 'powerflex.qos_invalid' });
    });
  });

  describe('VTree migration', () => {
    it('moves the whole VTree to pool2 over a few polls, and reports running then done', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      const snapshot = snapshotName();
      await driver.createSnapshot(name, snapshot);
      expect(await driver.treeMigrationStatus(name, 'pool2')).toMatchObject({ state: 'failed' });

      await driver.startTreeMigration(name, 'pool2');
      await driver.startTreeMigration(name, 'pool2');
      const states: string[] = [];
      for (let i = 0; i < 10; i += 1) {
        const status = await driver.treeMigrationStatus(name, 'pool2');
        states.push(status.state);
        if (status.state !== 'running') break;
      }
      expect(states[0]).toBe('running');
      expect(states[states.length - 1]).toBe('done');
      expect(states.length).toBeGreaterThan(1);

      const pool2 = running.sim.pools[1]?.id;
      expect((await pfVolume(name)).storagePoolId).toBe(pool2);
      expect((await pfVolume(snapshot)).storagePoolId).toBe(pool2);
      expect((await driver.listVolumes()).map((v) => v.name)).not.toContain(name);
      const onPool2 = driverFor(running.sim, { storagePool: pool2 });
      try {
        await onPool2.connect();
        expect((await onPool2.listVolumes()).map((v) => v.name)).toEqual([name]);
      } finally {
        await onPool2.close();
      }
      // Already there: starting again is a no-op, and the status stays done.
      await driver.startTreeMigration(name, 'pool2');
      expect(await driver.treeMigrationStatus(name, 'pool2')).toEqual({ state: 'done', progressPercent: 100 });
    });

    it('refuses a destination pool that does not exist', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      expect(await rejection(driver.startTreeMigration(name, 'pool9'))).toMatchObject({ kind: 'invalid', code: 'powerflex.pool_not_found' });
    });

    it('migrationTarget: one gateway however spelt is one cluster, another gateway is another; the pool is the configured storagePool', () => {
      const target = (overrides: Record<string, unknown>) => driverFor(running.sim, overrides).migrationTarget();
      const base = target({ gatewayUrl: 'https://gateway.example.com' });
      expect(base).toEqual({ cluster: 'https://gateway.example.com', pool: 'pool1' });
      for (const spelling of [
        'https://Gateway.EXAMPLE.com/',
        'HTTPS://gateway.example.com:443//',
        'https://admin:S3cr3t@gateway.example.com/',
      ]) {
        expect(target({ gatewayUrl: spelling }).cluster).toBe(base.cluster);
      }
      // The protection domain and the pool pick a pool of the system, not another system.
      expect(target({ gatewayUrl: 'https://gateway.example.com/', storagePool: 'pool2', protectionDomain: 'pd2' })).toEqual({
        cluster: base.cluster,
        pool: 'pool2',
      });
      expect(target({ storagePool: running.sim.pools[1]?.id }).pool).toBe(running.sim.pools[1]?.id);
      for (const other of [
        'https://gateway2.example.com',
        'https://gateway.example.com:8443',
        'http://gateway.example.com',
        'https://gateway.example.com/pflex',
      ]) {
        expect(target({ gatewayUrl: other }).cluster).not.toBe(base.cluster);
      }
      // Two gateways behind one proxy are told apart by their paths.
      expect(target({ gatewayUrl: 'https://proxy.example.com/a/' }).cluster).toBe('https://proxy.example.com/a');
      expect(target({ gatewayUrl: 'https://proxy.example.com/b' }).cluster).toBe('https://proxy.example.com/b');
    });

    it('migrationTarget of a second pool on the same gateway names the cluster alike and is what startTreeMigration takes', async () => {
      const destination = driverFor(running.sim, { storagePool: 'pool2' }).migrationTarget();
      expect(destination.cluster).toBe(driver.migrationTarget().cluster);
      expect(destination.cluster).not.toBe('');
      expect(destination.pool).not.toBe(driver.migrationTarget().pool);
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      await driver.startTreeMigration(name, destination.pool);
      let status = await driver.treeMigrationStatus(name, destination.pool);
      for (let i = 0; i < 10 && status.state === 'running'; i += 1) status = await driver.treeMigrationStatus(name, destination.pool);
      expect(status).toEqual({ state: 'done', progressPercent: 100 });
      expect((await pfVolume(name)).storagePoolId).toBe(running.sim.pools[1]?.id);
    });

    it('the gateway refuses a second migration while one runs (717) and one onto the same pool (718)', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      const id = (await pfVolume(name)).id;
      const client = clientFor(running.sim);
      const same = await rejection(client.volumeAction(id, 'migrateVTree', { destSPId: running.sim.pools[0]?.id ?? '' }, 'migrate'));
      expect(same.details).toMatchObject({ rc: 718 });
      await client.volumeAction(id, 'migrateVTree', { destSPId: running.sim.pools[1]?.id ?? '' }, 'migrate');
      const again = await rejection(client.volumeAction(id, 'migrateVTree', { destSPId: running.sim.pools[1]?.id ?? '' }, 'migrate'));
      expect(again).toMatchObject({ kind: 'conflict', code: 'powerflex.migration_in_progress' });
    });
  });

  describe('capacity', () => {
    it('reports net capacity (max - spare) / 2 as total and the allocated addresses as used', async () => {
      // 1 TiB raw, 10 % spare, two copies of every block.
      const maxKb = 2 ** 40 / KiB;
      const netKb = Math.floor((maxKb - Math.floor(maxKb * 0.1)) / 2);
      const empty = await driver.getCapacity();
      expect(empty).toEqual({ totalBytes: netKb * KiB, usedBytes: 0, freeBytes: netKb * KiB });

      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      expect((await driver.getCapacity()).usedBytes).toBe(0);
      const device = (await driver.grantAccess(name, 'host-1')).devicePath;
      const handle = await open(device, 'r+');
      await handle.write(Buffer.alloc(3 * MiB, 0xab), 0, 3 * MiB, 0);
      await handle.close();
      const written = await driver.getCapacity();
      expect(written.usedBytes).toBeGreaterThanOrEqual(3 * MiB);
      expect(written.usedBytes).toBeLessThan(8 * MiB);
      expect(written.freeBytes).toBe(written.totalBytes - written.usedBytes);
      expect((await driver.getVolumeTree(name)).usedBytes).toBe(written.usedBytes);
    });

    it('refuses a thick volume larger than the free capacity as capacity', async () => {
      await running.stop();
      running = await startSim({ pools: [{ name: 'pool1', capacityBytes: 64 * GiB }] });
      driver = driverFor(running.sim);
      await driver.connect();
      const error = await rejection(driver.createVolume({ name: volumeName(), sizeBytes: 32 * GiB, thin: false }));
      expect(error).toMatchObject({ kind: 'capacity', code: 'powerflex.insufficient_capacity' });
      // Thin volumes may over-provision up to ten times.
      await expect(driver.createVolume({ name: volumeName(), sizeBytes: 256 * GiB })).resolves.toMatchObject({ sizeBytes: 256 * GiB });
    });
  });

  describe('snapshots, clones and groups on the array', () => {
    it('takes snapshots read-only, clones writable, all in the VTree of the volume', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      const snapshot = snapshotName();
      await driver.createSnapshot(name, snapshot);
      const clone = volumeName();
      await driver.cloneFromSnapshot({ sourceVolumeName: name, snapshotName: snapshot, name: clone });
      const [v, s, c] = await Promise.all([pfVolume(name), pfVolume(snapshot), pfVolume(clone)]);
      expect(s).toMatchObject({ volumeType: 'Snapshot', accessModeLimit: 'ReadOnly', vtreeId: v.vtreeId, ancestorVolumeId: v.id });
      expect(c).toMatchObject({ volumeType: 'Snapshot', accessModeLimit: 'ReadWrite', vtreeId: v.vtreeId, ancestorVolumeId: s.id });
      expect((await driver.listVolumes()).map((x) => x.name).sort()).toEqual([name, clone].sort());
    });

    it('a group snapshot is one consistency group, removed with removeConsistencyGroupSnapshots', async () => {
      const [a, b] = [volumeName(), volumeName()];
      await driver.createVolume({ name: a, sizeBytes: 8 * GiB });
      await driver.createVolume({ name: b, sizeBytes: 8 * GiB });
      const members = [
        { volumeName: a, snapshotName: snapshotName() },
        { volumeName: b, snapshotName: snapshotName() },
      ];
      await driver.createGroupSnapshot('vmsnap-1', members);
      const [sa, sb] = await Promise.all(members.map((m) => pfVolume(m.snapshotName)));
      expect(sa?.consistencyGroupId).toEqual(expect.any(String));
      expect(sa?.consistencyGroupId).toBe(sb?.consistencyGroupId);
      await driver.deleteGroupSnapshot('vmsnap-1', members);
      expect(await clientFor(running.sim).findVolume(members[0]?.snapshotName ?? '')).toBeUndefined();
    });

    it('a group snapshot is idempotent by its members, and all or nothing', async () => {
      const [a, b] = [volumeName(), volumeName()];
      await driver.createVolume({ name: a, sizeBytes: 8 * GiB });
      await driver.createVolume({ name: b, sizeBytes: 16 * GiB });
      const members = [
        { volumeName: a, snapshotName: snapshotName() },
        { volumeName: b, snapshotName: snapshotName() },
      ];
      const first = await driver.createGroupSnapshot('vmsnap-2', members);
      expect(first.map((x) => [x.volumeName, x.name, x.sizeBytes])).toEqual([
        [a, members[0]?.snapshotName, 8 * GiB],
        [b, members[1]?.snapshotName, 16 * GiB],
      ]);
      expect((await driver.createGroupSnapshot('vmsnap-2', members)).map((x) => x.name)).toEqual(first.map((x) => x.name));

      const partial = [
        { volumeName: a, snapshotName: snapshotName() },
        { volumeName: volumeName(), snapshotName: snapshotName() },
      ];
      expect((await rejection(driver.createGroupSnapshot('vmsnap-3', partial))).kind).toBe('not_found');
      expect((await driver.listSnapshots(a)).map((x) => x.name)).toEqual([members[0]?.snapshotName]);

      // A name already taken outside the group: the group is refused, nothing is made.
      const clash = [
        { volumeName: a, snapshotName: snapshotName() },
        { volumeName: b, snapshotName: members[1]?.snapshotName ?? '' },
      ];
      expect((await rejection(driver.createGroupSnapshot('vmsnap-4', clash))).kind).toBe('conflict');
      expect(await driver.listSnapshots(a)).toHaveLength(1);
    });

    it('refuses to delete a volume that still has snapshots, naming them; deleteVolumeTree removes all', async () => {
      const name = volumeName();
      await driver.createVolume({ name, sizeBytes: 8 * GiB });
      const snapshot = snapshotName();
      await driver.createSnapshot(name, snapshot);
      await driver.grantAccess(name, 'host-1');
      const error = await rejection(driver.deleteVolume(name));
      expect(error).toMatchObject({ kind: 'conflict', code: 'powerflex.volume_has_snapshots' });
      expect(error.message).toContain(snapshot);
      await driver.deleteVolumeTree(name);
      expect(await clientFor(running.sim).findVolume(name)).toBeUndefined();
      expect(await clientFor(running.sim).findVolume(snapshot)).toBeUndefined();
    });

    it('refuses a revert across VTrees', async () => {
      const [a, b] = [volumeName(), volumeName()];
      await driver.createVolume({ name: a, sizeBytes: 8 * GiB });
      await driver.createVolume({ name: b, sizeBytes: 8 * GiB });
      const snapshot = snapshotName();
      await driver.createSnapshot(b, snapshot);
      expect(await rejection(driver.revertToSnapshot(a, snapshot))).toMatchObject({ kind: 'invalid', code: 'powerflex.vtree_mismatch' });
      const raw = await rejection(
        clientFor(running.sim).volumeAction((await pfVolume(a)).id, 'overwriteVolumeContent', { srcVolumeId: (await pfVolume(snapshot)).id }, 'revert'),
      );
      expect(raw.code).toBe('powerflex.vtree_mismatch');
    });
  });

  describe('error mapping', () => {
    const body = (error: string, rc: number, message = 'x'): string =>
      JSON.stringify({ message, httpStatusCode: 500, errorCode: rc, details: [{ error, rc, errorMessage: message }] });

    it.each([
      [500, body('VOL_NAME_IN_USE', 6), 'conflict', 'powerflex.name_in_use'],
      [500, body('VOL_SIZE_ILLEGAL', 8), 'invalid', 'powerflex.size_illegal'],
      [500, body('TOO_MANY_SNAPS_IN_VTREE', 182), 'invalid', 'powerflex.vtree_snapshot_limit'],
      [500, JSON.stringify({ message: 'Error with details', httpStatusCode: 500, errorCode: 0, details: [{ rc: 182 }] }), 'invalid', 'powerflex.vtree_snapshot_limit'],
      [500, JSON.stringify({ message: 'Could not find the volume', httpStatusCode: 500, errorCode: 79 }), 'not_found', 'powerflex.not_found'],
      [500, JSON.stringify({ message: 'Not found', httpStatusCode: 500, errorCode: 3 }), 'not_found', 'powerflex.not_found'],
      [500, JSON.stringify({ message: 'Internal server error', httpStatusCode: 500, errorCode: 0 }), 'transient', 'powerflex.server_error'],
      [500, body('SOMETHING_NEW', 999), 'terminal', 'powerflex.unexpected'],
      [503, '<html>busy</html>', 'transient', 'powerflex.unavailable'],
      [400, JSON.stringify({ message: 'Request message is not valid', httpStatusCode: 400, errorCode: 0 }), 'invalid', 'powerflex.bad_request'],
      [401, JSON.stringify({ message: 'Unauthorized', httpStatusCode: 401, errorCode: 0 }), 'terminal', 'powerflex.unauthorized'],
    ])('maps %d %s to %s', (status, text, kind, code) => {
      const error = toPowerFlexError(status, text, 'create volume vol-x');
      expect(error).toMatchObject({ kind, code });
      expect(error.message).toMatch(/^create volume vol-x failed: PowerFlex gateway answered \d+: /);
    });

    it('uses details[0].errorMessage when the message is "Error with details"', () => {
      const text = JSON.stringify({ message: 'Error with details', httpStatusCode: 500, errorCode: 0, details: [{ error: 'VOL_MAPPED', rc: 133, errorMessage: 'Unmap first' }] });
      expect(toPowerFlexError(500, text, 'delete volume v').message).toContain('Unmap first');
    });
  });

  describe('simulator data files', () => {
    it('copies sparse files keeping them sparse, by whichever method is there', async () => {
      const source = join(running.dataDir, 'src.img');
      await writeFile(source, '');
      const handle = await open(source, 'r+');
      await handle.truncate(64 * MiB);
      await handle.write(Buffer.from('head'), 0, 4, 0);
      await handle.write(Buffer.from('tail'), 0, 4, 64 * MiB - 4);
      await handle.close();
      for (const [label, copy] of [
        ['best', (to: string) => sparseCopy(source, to)],
        ['scan', (to: string) => scanCopy(source, to)],
      ] as const) {
        const target = join(running.dataDir, `${label}.img`);
        await copy(target);
        const data = await readFile(target);
        expect(data.length).toBe(64 * MiB);
        expect(data.subarray(0, 4).toString()).toBe('head');
        expect(data.subarray(64 * MiB - 4).toString()).toBe('tail');
        expect((await stat(target)).blocks * 512).toBeLessThan(4 * MiB);
      }
    });
  });
});
