import { randomUUID } from 'node:crypto';
import {
  backendVolumeName,
  BackendErrorCode,
  checkManifest,
  isBackendError,
  type BackendError,
  type BackendErrorKind,
  type BackendVolume,
  type PrimaryStorageDriver,
} from '@strata/plugin-sdk';

/** Faults a simulator can inject into its next responses, to check the client's error mapping. */
export type InjectedFault = '5xx' | 'timeout' | '401';

export interface FaultInjector {
  /** The next `times` requests the backend receives fail this way. */
  inject(fault: InjectedFault, times: number): Promise<void>;
  /** What the client must do on a 401: log in again and retry once, or report it ('terminal'). */
  readonly on401: 'relogin' | 'terminal';
}

export interface ConformanceSubject {
  /** A driver on a pool of its own, not yet connected. */
  readonly driver: PrimaryStorageDriver;
  /** Removes the pool (temp directory, simulator) after the test. */
  readonly cleanup: () => Promise<void>;
  /** Present for backends reached over the network (the vendor simulators). */
  readonly faults?: FaultInjector;
}

/**
 * The contract every primary-storage driver must keep, as jest tests. Each
 * backend's spec calls it once with a factory for a fresh, empty pool; the
 * tests adapt to the manifest's capabilities and limits (sizes, name length).
 */
export function runPrimaryStorageConformance(name: string, makeDriver: () => Promise<ConformanceSubject>): void {
  describe(`${name}: primary storage conformance`, () => {
    let subject: ConformanceSubject | undefined;

    beforeEach(async () => {
      subject = await makeDriver();
      await subject.driver.connect();
    });

    afterEach(async () => {
      const current = subject;
      subject = undefined;
      if (current !== undefined) {
        await current.driver.close();
        await current.cleanup();
      }
    });

    function driver(): PrimaryStorageDriver {
      if (subject === undefined) throw new Error('conformance: no driver (did makeDriver fail?)');
      return subject.driver;
    }

    /** A fresh name made the way the storage service makes them, so it honours the plugin's naming rules. */
    function newName(): string {
      return backendVolumeName(driver().manifest, { volumeId: randomUUID(), poolKey: 'c0f1', installationId: 't3st' });
    }

    /** The n-th valid size above the minimum: min, min + granularity, ... */
    function size(step: number): number {
      const { minSizeBytes, sizeGranularityBytes } = driver().manifest.limits;
      return minSizeBytes + step * sizeGranularityBytes;
    }

    async function listed(volumeName: string): Promise<BackendVolume[]> {
      return (await driver().listVolumes()).filter((volume) => volume.name === volumeName);
    }

    it('declares a well-formed primary-storage manifest', () => {
      expect(checkManifest(driver().manifest)).toEqual([]);
      expect(driver().manifest.roles).toContain('primary');
    });

    it('connects, and connecting again is harmless', async () => {
      await expect(driver().connect()).resolves.toBeUndefined();
      await expect(driver().connect()).resolves.toBeUndefined();
    });

    it('creates a volume idempotently: twice gives one volume and the same result', async () => {
      const volumeName = newName();
      const first = await driver().createVolume({ name: volumeName, sizeBytes: size(1) });
      const second = await driver().createVolume({ name: volumeName, sizeBytes: size(1) });
      expect(first).toMatchObject({ name: volumeName, sizeBytes: size(1) });
      expect(identity(second)).toEqual(identity(first));
      expect(await listed(volumeName)).toEqual([expect.objectContaining({ name: volumeName, sizeBytes: size(1) })]);
    });

    it('refuses a same-name create of a different size as a conflict, keeping the original', async () => {
      const volumeName = newName();
      await driver().createVolume({ name: volumeName, sizeBytes: size(1) });
      const error = await rejection(driver().createVolume({ name: volumeName, sizeBytes: size(2) }));
      expect(error.kind).toBe('conflict');
      expect(error.message).toContain(volumeName);
      expect(await listed(volumeName)).toEqual([expect.objectContaining({ sizeBytes: size(1) })]);
    });

    it('deletes idempotently, including a volume that never existed', async () => {
      const volumeName = newName();
      await driver().createVolume({ name: volumeName, sizeBytes: size(0) });
      await expect(driver().deleteVolume(volumeName)).resolves.toBeUndefined();
      await expect(driver().deleteVolume(volumeName)).resolves.toBeUndefined();
      await expect(driver().deleteVolume(newName())).resolves.toBeUndefined();
      expect(await listed(volumeName)).toEqual([]);
    });

    it('lists exactly what was created and not what was deleted', async () => {
      const [a, b] = [newName(), newName()];
      const before = new Set((await driver().listVolumes()).map((volume) => volume.name));
      await driver().createVolume({ name: a, sizeBytes: size(0) });
      await driver().createVolume({ name: b, sizeBytes: size(1) });
      const afterCreate = (await driver().listVolumes()).filter((volume) => !before.has(volume.name));
      expect(afterCreate.map((volume) => ({ name: volume.name, sizeBytes: volume.sizeBytes }))).toEqual(
        expect.arrayContaining([
          { name: a, sizeBytes: size(0) },
          { name: b, sizeBytes: size(1) },
        ]),
      );
      expect(afterCreate).toHaveLength(2);
      await driver().deleteVolume(a);
      const afterDelete = (await driver().listVolumes()).filter((volume) => !before.has(volume.name));
      expect(afterDelete.map((volume) => volume.name)).toEqual([b]);
    });

    it('reports consistent capacity', async () => {
      const capacity = await driver().getCapacity();
      for (const value of [capacity.totalBytes, capacity.usedBytes, capacity.freeBytes]) {
        expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
      }
      expect(capacity.totalBytes).toBeGreaterThan(0);
      expect(capacity.usedBytes).toBeLessThanOrEqual(capacity.totalBytes);
      expect(capacity.freeBytes).toBeLessThanOrEqual(capacity.totalBytes);
    });

    it('resizes as its capabilities say, and never shrinks without allowShrink', async () => {
      const { resizeGrow, resizeShrink } = driver().manifest.capabilities;
      const volumeName = newName();
      await driver().createVolume({ name: volumeName, sizeBytes: size(1) });

      const grow = driver().resizeVolume(volumeName, size(3), { allowShrink: false });
      if (resizeGrow) {
        await expect(grow).resolves.toMatchObject({ name: volumeName, sizeBytes: size(3) });
        expect(await listed(volumeName)).toEqual([expect.objectContaining({ sizeBytes: size(3) })]);
        await expect(driver().resizeVolume(volumeName, size(3), { allowShrink: false })).resolves.toMatchObject({
          sizeBytes: size(3),
        });
      } else {
        expect((await rejection(grow)).kind).toBe('invalid');
      }
      const current = resizeGrow ? size(3) : size(1);

      const refused = await rejection(driver().resizeVolume(volumeName, size(0), { allowShrink: false }));
      expect(refused.kind).toBe('invalid');
      expect(refused.code).toBe(BackendErrorCode.ShrinkNotAllowed);
      expect(await listed(volumeName)).toEqual([expect.objectContaining({ sizeBytes: current })]);

      const shrink = driver().resizeVolume(volumeName, size(0), { allowShrink: true });
      if (resizeShrink) {
        await expect(shrink).resolves.toMatchObject({ sizeBytes: size(0) });
      } else {
        expect((await rejection(shrink)).kind).toBe('invalid');
      }
    });

    it('grants and revokes access idempotently', async () => {
      const volumeName = newName();
      await driver().createVolume({ name: volumeName, sizeBytes: size(0) });
      const grant = await driver().grantAccess(volumeName, 'host-1');
      expect(grant.devicePath).toEqual(expect.any(String));
      expect(grant.devicePath.length).toBeGreaterThan(0);
      expect(await driver().grantAccess(volumeName, 'host-1')).toEqual(grant);
      await expect(driver().revokeAccess(volumeName, 'host-1')).resolves.toBeUndefined();
      await expect(driver().revokeAccess(volumeName, 'host-1')).resolves.toBeUndefined();
      await expect(driver().revokeAccess(newName(), 'host-1')).resolves.toBeUndefined();
    });

    it.each<{ label: string; kind: BackendErrorKind; call: (d: PrimaryStorageDriver, missing: string) => Promise<unknown> }>([
      {
        label: 'resizing a missing volume',
        kind: 'not_found',
        call: (d, missing) => d.resizeVolume(missing, size(2), { allowShrink: false }),
      },
      { label: 'granting access to a missing volume', kind: 'not_found', call: (d, missing) => d.grantAccess(missing, 'host-1') },
      {
        label: 'a size off the granularity',
        kind: 'invalid',
        call: (d, missing) => d.createVolume({ name: missing, sizeBytes: size(1) + 1 }),
      },
      { label: 'a zero size', kind: 'invalid', call: (d, missing) => d.createVolume({ name: missing, sizeBytes: 0 }) },
      {
        label: 'a name longer than the backend allows',
        kind: 'invalid',
        call: (d) => d.createVolume({ name: 'v'.repeat(d.manifest.limits.maxNameLength + 1), sizeBytes: size(0) }),
      },
      {
        label: 'a name that could escape the pool',
        kind: 'invalid',
        call: (d) => d.createVolume({ name: '../escape', sizeBytes: size(0) }),
      },
    ])('maps failures to BackendErrors: $label is $kind', async ({ call, kind }) => {
      const error = await rejection(call(driver(), newName()));
      expect(error.kind).toBe(kind);
      expect(error.code).toEqual(expect.any(String));
      expect(error.message.length).toBeGreaterThan(0);
    });
  });
}

/** What must not change between two answers about the same volume (allocation may grow with writes). */
function identity(volume: BackendVolume): Pick<BackendVolume, 'name' | 'sizeBytes' | 'path'> {
  return { name: volume.name, sizeBytes: volume.sizeBytes, path: volume.path };
}

/** Awaits a call that must fail and returns its error, failing the test unless it is a BackendError. */
async function rejection(promise: Promise<unknown>): Promise<BackendError> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    if (!isBackendError(error)) {
      throw new Error(`expected a BackendError, got: ${error instanceof Error ? error.stack : String(error)}`);
    }
    return error;
  }
  throw new Error(`expected a BackendError, but the call succeeded with ${JSON.stringify(outcome)}`);
}
