import { createHash, randomUUID } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import {
  backendObjectName,
  backendVolumeName,
  BackendErrorCode,
  capable,
  checkCapabilities,
  checkManifest,
  declares,
  isBackendError,
  OBJECT_PREFIXES,
  roundUpToGranularity,
  supports,
  type BackendError,
  type BackendErrorKind,
  type BackendVolume,
  type CapabilityInterfaces,
  type CapabilityName,
  type PrimaryStorageDriver,
} from '@strata/plugin-sdk';

/** Faults a simulator can inject into its next responses, to check the client's error mapping. */
export type InjectedFault = '5xx' | 'timeout' | '401';

export interface FaultInjector {
  /** The next `times` requests the backend receives fail this way. */
  inject(fault: InjectedFault, times: number): Promise<void>;
  /** What the client must do on a 401: log in again and retry once, or report it ('terminal'). */
  readonly on401: 'relogin' | 'terminal';
  /**
   * The per-request timeout the subject's client was configured with (keep it short,
   * e.g. 500 ms); a 'timeout' fault must be over within about twice this. Default 5000.
   */
  readonly clientTimeoutMs?: number;
}

export interface ConformanceSubject {
  /** A driver on a pool of its own, not yet connected. */
  readonly driver: PrimaryStorageDriver;
  /** Removes the pool (temp directory, simulator) after the test. */
  readonly cleanup: () => Promise<void>;
  /** Present for backends reached over the network (the vendor simulators). */
  readonly faults?: FaultInjector;
  /** A host identity the backend knows (LINSTOR node, PowerFlex SDC id, StorPool client id); default 'localhost'. */
  readonly host?: string;
  /**
   * What deleteVolume does to a volume that still has snapshots: refuse it as 'conflict'
   * naming them (the default, and the SDK's rule), or delete the snapshots along with it
   * ('cascade', for a backend whose own delete does that; say so in docs/backends.md).
   */
  readonly deleteVolumeWithSnapshots?: 'conflict' | 'cascade';
  /** Credentials the subject was configured with: no error message or detail may contain them. */
  readonly secrets?: readonly string[];
}

/** Tests that move data through device paths copy whole volumes (8 GiB sparse on PowerFlex). */
const DATA_TIMEOUT_MS = 120_000;
/** Creating up to the snapshot limit: 127 snapshots on PowerFlex. */
const LIMIT_TIMEOUT_MS = 600_000;
/** Limits above this are checked by what the tree reports, without creating that many snapshots. */
const LIMIT_CREATED_AT_MOST = 130;
/** Bytes written at each probed spot of a volume. */
const BLOCK = 4096;
const MiB = 1024 * 1024;

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: BackendError };

/**
 * The contract every primary-storage driver must keep, as jest tests. Each
 * backend's spec calls it once with a factory for a fresh, empty pool; the
 * tests adapt to the manifest's capabilities and limits (sizes, name length).
 * A capability the manifest does not declare is not skipped: its test checks
 * that callers are refused it up front instead (capable() throws 'invalid').
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

    function current(): ConformanceSubject {
      if (subject === undefined) throw new Error('conformance: no driver (did makeDriver fail?)');
      return subject;
    }

    function driver(): PrimaryStorageDriver {
      return current().driver;
    }

    function host(): string {
      return current().host ?? 'localhost';
    }

    const ids = (): { volumeId: string; poolKey: string; installationId: string } => ({
      volumeId: randomUUID(),
      poolKey: 'c0f1',
      installationId: 't3st',
    });

    /** A fresh name made the way the storage service makes them, so it honours the plugin's naming rules. */
    function newName(): string {
      return backendVolumeName(driver().manifest, ids());
    }

    function newSnapshotName(): string {
      return backendObjectName(driver().manifest, OBJECT_PREFIXES.snapshot, ids());
    }

    /**
     * 'vmsnap-<id>-<pool key>-<installation id>' does not fit PowerFlex's 31 characters
     * (14 left for the id, 16 needed), so there the group is named like a snapshot.
     */
    function newGroupName(): string {
      try {
        return backendObjectName(driver().manifest, OBJECT_PREFIXES.groupSnapshot, ids());
      } catch {
        return backendObjectName(driver().manifest, OBJECT_PREFIXES.snapshot, ids());
      }
    }

    /** The n-th valid size above the minimum: min, min + granularity, ... */
    function size(step: number): number {
      const { minSizeBytes, sizeGranularityBytes } = driver().manifest.limits;
      return minSizeBytes + step * sizeGranularityBytes;
    }

    /** The smallest valid size of at least 1 MiB: room for data at both ends. */
    function dataSize(): number {
      const { minSizeBytes, sizeGranularityBytes } = driver().manifest.limits;
      return roundUpToGranularity(Math.max(minSizeBytes, MiB), sizeGranularityBytes);
    }

    async function listed(volumeName: string): Promise<BackendVolume[]> {
      return (await driver().listVolumes()).filter((volume) => volume.name === volumeName);
    }

    /** Checks what every error must be: a BackendError without the subject's credentials in it. */
    function checked(error: unknown): BackendError {
      if (!isBackendError(error)) {
        throw new Error(`expected a BackendError, got: ${error instanceof Error ? error.stack : String(error)}`);
      }
      const text = `${error.message} ${JSON.stringify(error.details)}`;
      for (const secret of current().secrets ?? []) {
        if (secret !== '' && text.includes(secret)) throw new Error(`a BackendError reveals a credential: ${error.message}`);
      }
      return error;
    }

    /** Awaits a call that must fail and returns its error, failing the test unless it is a BackendError. */
    async function rejection(promise: Promise<unknown>): Promise<BackendError> {
      let outcome: unknown;
      try {
        outcome = await promise;
      } catch (error) {
        return checked(error);
      }
      throw new Error(`expected a BackendError, but the call succeeded with ${JSON.stringify(outcome)}`);
    }

    /** Either outcome is allowed, but a failure must be a BackendError. */
    async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
      try {
        return { ok: true, value: await promise };
      } catch (error) {
        return { ok: false, error: checked(error) };
      }
    }

    /** Runs the body only where the capability is declared; elsewhere checks that callers are refused it. */
    function withCapability<K extends CapabilityName>(capability: K): (PrimaryStorageDriver & CapabilityInterfaces[K]) | undefined {
      const d = driver();
      if (supports(d, capability)) return d;
      expect(declares(d.manifest.capabilities, capability)).toBe(false);
      let refusal: unknown;
      try {
        capable(d, capability);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toMatchObject({ kind: 'invalid', code: BackendErrorCode.UnsupportedOperation });
      return undefined;
    }

    // ---- data path helpers: real bytes through the device path ---------------

    /** Deterministic, never all zeros (a sparse copy turns zero blocks into holes, which read the same). */
    function pattern(seed: number): Buffer {
      const buffer = Buffer.alloc(BLOCK);
      for (let i = 0; i < BLOCK; i += 1) buffer[i] = (seed * 131 + i * 7 + 1) % 251;
      return buffer;
    }

    /** The first and the last block of the volume: copies must carry both ends. */
    function spots(sizeBytes: number): number[] {
      return sizeBytes >= 2 * BLOCK ? [0, sizeBytes - BLOCK] : [0];
    }

    async function devicePath(volumeName: string): Promise<string> {
      const grant = await driver().grantAccess(volumeName, host());
      await expect(fsp.stat(grant.devicePath)).resolves.toBeDefined();
      return grant.devicePath;
    }

    async function writeVolume(volumeName: string, sizeBytes: number, seed: number): Promise<void> {
      const handle = await fsp.open(await devicePath(volumeName), 'r+');
      try {
        for (const position of spots(sizeBytes)) {
          const { bytesWritten } = await handle.write(pattern(seed), 0, BLOCK, position);
          expect(bytesWritten).toBe(BLOCK);
        }
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }

    /** A digest of what the volume holds at the probed spots, so that a mismatch prints short. */
    async function readVolume(volumeName: string, sizeBytes: number): Promise<string> {
      const handle = await fsp.open(await devicePath(volumeName), 'r');
      const hash = createHash('sha256');
      try {
        for (const position of spots(sizeBytes)) {
          const buffer = Buffer.alloc(BLOCK);
          const { bytesRead } = await handle.read(buffer, 0, BLOCK, position);
          hash.update(buffer.subarray(0, bytesRead));
        }
      } finally {
        await handle.close();
      }
      return hash.digest('hex');
    }

    function expected(sizeBytes: number, seed: number): string {
      const hash = createHash('sha256');
      spots(sizeBytes).forEach(() => hash.update(pattern(seed)));
      return hash.digest('hex');
    }

    // ---- manifest and core -----------------------------------------------------

    it('declares a well-formed primary-storage manifest', () => {
      expect(checkManifest(driver().manifest)).toEqual([]);
      expect(driver().manifest.roles).toContain('primary');
    });

    it('implements exactly the capabilities its manifest declares', () => {
      expect(checkCapabilities(driver())).toEqual([]);
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
      expectConsistent(await driver().getCapacity());
    });

    it(
      'keeps capacity consistent after a volume is created and written',
      async () => {
        const volumeName = newName();
        await driver().createVolume({ name: volumeName, sizeBytes: dataSize() });
        await writeVolume(volumeName, dataSize(), 1);
        const capacity = await driver().getCapacity();
        expectConsistent(capacity);
        const [volume] = await listed(volumeName);
        expect(volume).toBeDefined();
        // Thin or thick, a volume cannot hold more of the pool than the pool has.
        expect(volume?.allocatedBytes ?? 0).toBeLessThanOrEqual(capacity.totalBytes);
        await driver().deleteVolume(volumeName);
        expectConsistent(await driver().getCapacity());
      },
      DATA_TIMEOUT_MS,
    );

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
      const now = resizeGrow ? size(3) : size(1);

      const refused = await rejection(driver().resizeVolume(volumeName, size(0), { allowShrink: false }));
      expect(refused.kind).toBe('invalid');
      expect(refused.code).toBe(BackendErrorCode.ShrinkNotAllowed);
      expect(await listed(volumeName)).toEqual([expect.objectContaining({ sizeBytes: now })]);

      const shrink = driver().resizeVolume(volumeName, size(0), { allowShrink: true });
      if (resizeShrink) {
        await expect(shrink).resolves.toMatchObject({ sizeBytes: size(0) });
      } else {
        expect((await rejection(shrink)).kind).toBe('invalid');
      }
    });

    it('grants and revokes access idempotently; the device path exists after a grant', async () => {
      const volumeName = newName();
      await driver().createVolume({ name: volumeName, sizeBytes: size(0) });
      const grant = await driver().grantAccess(volumeName, host());
      expect(grant.devicePath).toEqual(expect.any(String));
      expect(grant.devicePath.length).toBeGreaterThan(0);
      await expect(fsp.stat(grant.devicePath)).resolves.toBeDefined();
      expect(await driver().grantAccess(volumeName, host())).toEqual(grant);
      await expect(driver().revokeAccess(volumeName, host())).resolves.toBeUndefined();
      await expect(driver().revokeAccess(volumeName, host())).resolves.toBeUndefined();
      await expect(driver().revokeAccess(newName(), host())).resolves.toBeUndefined();
    });

    it(
      'carries bytes through the device path: what is written is read back after revoke and grant',
      async () => {
        const volumeName = newName();
        await driver().createVolume({ name: volumeName, sizeBytes: dataSize() });
        await writeVolume(volumeName, dataSize(), 7);
        await driver().revokeAccess(volumeName, host());
        expect(await readVolume(volumeName, dataSize())).toBe(expected(dataSize(), 7));
      },
      DATA_TIMEOUT_MS,
    );

    it.each<{ label: string; kind: BackendErrorKind; call: (d: PrimaryStorageDriver, missing: string, host: string) => Promise<unknown> }>([
      {
        label: 'resizing a missing volume',
        kind: 'not_found',
        call: (d, missing) => d.resizeVolume(missing, size(2), { allowShrink: false }),
      },
      { label: 'granting access to a missing volume', kind: 'not_found', call: (d, missing, h) => d.grantAccess(missing, h) },
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
      const error = await rejection(call(driver(), newName(), host()));
      expect(error.kind).toBe(kind);
      expect(error.code).toEqual(expect.any(String));
      expect(error.message.length).toBeGreaterThan(0);
    });

    // ---- snapshots (where declared) ----------------------------------------------

    it('snapshots [where declared]: create, list (oldest first) and delete idempotently; snapshots are not volumes', async () => {
      const d = withCapability('snapshot');
      if (d === undefined) return;
      const volumeName = newName();
      await d.createVolume({ name: volumeName, sizeBytes: size(1) });
      const [s1, s2] = [newSnapshotName(), newSnapshotName()];

      const first = await d.createSnapshot(volumeName, s1);
      expect(first).toMatchObject({ name: s1, volumeName, sizeBytes: size(1) });
      const again = await d.createSnapshot(volumeName, s1);
      expect({ name: again.name, volumeName: again.volumeName, sizeBytes: again.sizeBytes }).toEqual({
        name: first.name,
        volumeName: first.volumeName,
        sizeBytes: first.sizeBytes,
      });
      await d.createSnapshot(volumeName, s2);
      expect((await d.listSnapshots(volumeName)).map((snapshot) => snapshot.name)).toEqual([s1, s2]);
      expect(await listed(s1)).toEqual([]);
      expect((await d.listVolumes()).map((volume) => volume.name)).not.toContain(s2);

      await expect(d.deleteSnapshot(volumeName, s1)).resolves.toBeUndefined();
      await expect(d.deleteSnapshot(volumeName, s1)).resolves.toBeUndefined();
      await expect(d.deleteSnapshot(volumeName, newSnapshotName())).resolves.toBeUndefined();
      expect((await d.listSnapshots(volumeName)).map((snapshot) => snapshot.name)).toEqual([s2]);
      await d.deleteSnapshot(volumeName, s2);
      expect(await d.listSnapshots(volumeName)).toEqual([]);
    });

    it('snapshots [where declared]: snapshotting a missing volume is not_found', async () => {
      const d = withCapability('snapshot');
      if (d === undefined) return;
      expect((await rejection(d.createSnapshot(newName(), newSnapshotName()))).kind).toBe('not_found');
    });

    it(
      'snapshots [where declared]: the per-tree limit is reported, and creating past it is refused naming it',
      async () => {
        const d = withCapability('snapshot');
        if (d === undefined) return;
        const limit = d.manifest.limits.snapshotsPerVolumeTree;
        const volumeName = newName();
        await d.createVolume({ name: volumeName, sizeBytes: size(0) });
        expect(await d.getVolumeTree(volumeName)).toMatchObject({ snapshotLimit: limit, snapshotCount: 0 });

        // Creating up to a large limit would take long; then the count the tree reports is what is checked.
        const toCreate = limit !== null && limit <= LIMIT_CREATED_AT_MOST ? limit : 2;
        for (let i = 0; i < toCreate; i += 1) await d.createSnapshot(volumeName, newSnapshotName());
        expect(await d.getVolumeTree(volumeName)).toMatchObject({ snapshotLimit: limit, snapshotCount: toCreate });
        if (limit === null || toCreate < limit) return;

        const error = await rejection(d.createSnapshot(volumeName, newSnapshotName()));
        expect(['invalid', 'capacity']).toContain(error.kind);
        expect(error.message).toContain(String(limit));
        expect((await d.getVolumeTree(volumeName)).snapshotCount).toBe(limit);
        expect(await d.listSnapshots(volumeName)).toHaveLength(limit);
      },
      LIMIT_TIMEOUT_MS,
    );

    // ---- revert (where declared) -------------------------------------------------

    it(
      'revert [where declared]: the volume reads back the snapshot\'s bytes; with "latest" an older snapshot is refused',
      async () => {
        const d = withCapability('revert');
        if (d === undefined || !supports(d, 'snapshot')) return;
        const volumeName = newName();
        const sizeBytes = dataSize();
        await d.createVolume({ name: volumeName, sizeBytes });
        const [s1, s2] = [newSnapshotName(), newSnapshotName()];
        await writeVolume(volumeName, sizeBytes, 1);
        await d.createSnapshot(volumeName, s1);
        await writeVolume(volumeName, sizeBytes, 2);
        await d.createSnapshot(volumeName, s2);
        await writeVolume(volumeName, sizeBytes, 3);
        expect(await readVolume(volumeName, sizeBytes)).toBe(expected(sizeBytes, 3));

        await d.revertToSnapshot(volumeName, s2);
        expect(await readVolume(volumeName, sizeBytes)).toBe(expected(sizeBytes, 2));

        if (d.manifest.capabilities.revert === 'any') {
          await d.revertToSnapshot(volumeName, s1);
          expect(await readVolume(volumeName, sizeBytes)).toBe(expected(sizeBytes, 1));
          // Reverting to the older one kept the newer snapshot.
          await d.revertToSnapshot(volumeName, s2);
          expect(await readVolume(volumeName, sizeBytes)).toBe(expected(sizeBytes, 2));
        } else {
          const error = await rejection(d.revertToSnapshot(volumeName, s1));
          expect(['invalid', 'conflict']).toContain(error.kind);
          expect(await readVolume(volumeName, sizeBytes)).toBe(expected(sizeBytes, 2));
        }
      },
      DATA_TIMEOUT_MS,
    );

    it('revert [where declared]: to a missing snapshot is not_found', async () => {
      const d = withCapability('revert');
      if (d === undefined) return;
      const volumeName = newName();
      await d.createVolume({ name: volumeName, sizeBytes: size(0) });
      expect((await rejection(d.revertToSnapshot(volumeName, newSnapshotName()))).kind).toBe('not_found');
    });

    // ---- clone (where declared) --------------------------------------------------

    it(
      "clone [where declared]: has the snapshot's bytes, is a volume of its own, and outlives its snapshot or keeps it",
      async () => {
        const d = withCapability('clone');
        if (d === undefined || !supports(d, 'snapshot')) return;
        const volumeName = newName();
        const sizeBytes = dataSize();
        await d.createVolume({ name: volumeName, sizeBytes });
        await writeVolume(volumeName, sizeBytes, 1);
        const snapshotName = newSnapshotName();
        await d.createSnapshot(volumeName, snapshotName);
        await writeVolume(volumeName, sizeBytes, 2);

        const cloneName = newName();
        const request = { sourceVolumeName: volumeName, snapshotName, name: cloneName };
        const clone = await d.cloneFromSnapshot(request);
        expect(clone).toMatchObject({ name: cloneName, sizeBytes });
        expect(identity(await d.cloneFromSnapshot(request))).toEqual(identity(clone));
        expect(await listed(cloneName)).toEqual([expect.objectContaining({ name: cloneName, sizeBytes })]);
        expect(await readVolume(cloneName, sizeBytes)).toBe(expected(sizeBytes, 1));

        // Independent: writing the clone leaves the source alone.
        await writeVolume(cloneName, sizeBytes, 3);
        expect(await readVolume(volumeName, sizeBytes)).toBe(expected(sizeBytes, 2));

        // Deleting the snapshot is allowed or refused as a conflict, and never breaks the clone.
        const deleted = await settle(d.deleteSnapshot(volumeName, snapshotName));
        if (deleted.ok) {
          expect((await d.listSnapshots(volumeName)).map((snapshot) => snapshot.name)).not.toContain(snapshotName);
        } else {
          expect(deleted.error.kind).toBe('conflict');
        }
        expect(await listed(cloneName)).toHaveLength(1);
        expect(await readVolume(cloneName, sizeBytes)).toBe(expected(sizeBytes, 3));
      },
      DATA_TIMEOUT_MS,
    );

    it('clone [where declared]: a larger size is honoured, a smaller one than the snapshot is invalid', async () => {
      const d = withCapability('clone');
      if (d === undefined || !supports(d, 'snapshot')) return;
      const volumeName = newName();
      await d.createVolume({ name: volumeName, sizeBytes: size(1) });
      const snapshotName = newSnapshotName();
      await d.createSnapshot(volumeName, snapshotName);

      const larger = newName();
      await expect(d.cloneFromSnapshot({ sourceVolumeName: volumeName, snapshotName, name: larger, sizeBytes: size(2) })).resolves.toMatchObject({
        name: larger,
        sizeBytes: size(2),
      });
      const smaller = newName();
      const error = await rejection(d.cloneFromSnapshot({ sourceVolumeName: volumeName, snapshotName, name: smaller, sizeBytes: size(0) }));
      expect(error.kind).toBe('invalid');
      expect(await listed(smaller)).toEqual([]);
      const missing = await rejection(d.cloneFromSnapshot({ sourceVolumeName: volumeName, snapshotName: newSnapshotName(), name: newName() }));
      expect(missing.kind).toBe('not_found');
    });

    // ---- group snapshots (where declared) ----------------------------------------

    it('group snapshots [where declared]: every member gets one, idempotently; deleting removes them all', async () => {
      const d = withCapability('groupSnapshot');
      if (d === undefined || !supports(d, 'snapshot')) return;
      const [a, b] = [newName(), newName()];
      await d.createVolume({ name: a, sizeBytes: size(0) });
      await d.createVolume({ name: b, sizeBytes: size(1) });
      const group = newGroupName();
      const members = [
        { volumeName: a, snapshotName: newSnapshotName() },
        { volumeName: b, snapshotName: newSnapshotName() },
      ];
      const pairs = (snapshots: readonly { volumeName: string; name: string }[]): string[] =>
        snapshots.map((snapshot) => `${snapshot.volumeName}/${snapshot.name}`).sort();
      const wanted = members.map((member) => `${member.volumeName}/${member.snapshotName}`).sort();

      expect(pairs(await d.createGroupSnapshot(group, members))).toEqual(wanted);
      expect(pairs(await d.createGroupSnapshot(group, members))).toEqual(wanted);
      expect((await d.listSnapshots(a)).map((snapshot) => snapshot.name)).toEqual([members[0]?.snapshotName]);
      expect((await d.listSnapshots(b)).map((snapshot) => snapshot.name)).toEqual([members[1]?.snapshotName]);

      await expect(d.deleteGroupSnapshot(group, members)).resolves.toBeUndefined();
      await expect(d.deleteGroupSnapshot(group, members)).resolves.toBeUndefined();
      expect(await d.listSnapshots(a)).toEqual([]);
      expect(await d.listSnapshots(b)).toEqual([]);
    });

    it('group snapshots [where declared]: all or nothing when a member cannot be snapshotted', async () => {
      const d = withCapability('groupSnapshot');
      if (d === undefined || !supports(d, 'snapshot')) return;
      const present = newName();
      await d.createVolume({ name: present, sizeBytes: size(0) });
      const members = [
        { volumeName: present, snapshotName: newSnapshotName() },
        { volumeName: newName(), snapshotName: newSnapshotName() },
      ];
      const error = await rejection(d.createGroupSnapshot(newGroupName(), members));
      expect(error.kind).toBe('not_found');
      expect(await d.listSnapshots(present)).toEqual([]);
    });

    // ---- volume trees ------------------------------------------------------------

    it('volume trees: a volume without snapshots is a tree of one; a missing one is not_found', async () => {
      const volumeName = newName();
      await driver().createVolume({ name: volumeName, sizeBytes: size(1) });
      const tree = await driver().getVolumeTree(volumeName);
      expect(tree).toMatchObject({
        root: volumeName,
        snapshotCount: 0,
        snapshotLimit: driver().manifest.limits.snapshotsPerVolumeTree,
      });
      expect(tree.members).toEqual([expect.objectContaining({ name: volumeName, kind: 'volume', parent: null, sizeBytes: size(1) })]);
      expect(Number.isSafeInteger(tree.usedBytes) && tree.usedBytes >= 0).toBe(true);

      expect((await rejection(driver().getVolumeTree(newName()))).kind).toBe('not_found');
      await expect(driver().deleteVolumeTree(newName())).resolves.toBeUndefined();
    });

    it(
      'volume trees [with snapshots]: snapshots and clones are members; plain delete is refused; deleteVolumeTree removes everything',
      async () => {
        const d = withCapability('snapshot');
        if (d === undefined) return;
        const volumeName = newName();
        await d.createVolume({ name: volumeName, sizeBytes: size(1) });
        const snapshotName = newSnapshotName();
        await d.createSnapshot(volumeName, snapshotName);

        let tree = await d.getVolumeTree(volumeName);
        expect(tree).toMatchObject({ root: volumeName, snapshotCount: 1 });
        expect(tree.members).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ name: volumeName, kind: 'volume', parent: null }),
            expect.objectContaining({ name: snapshotName, kind: 'snapshot', parent: volumeName }),
          ]),
        );
        expect(Number.isSafeInteger(tree.usedBytes) && tree.usedBytes >= 0).toBe(true);

        const cloneName = newName();
        if (supports(d, 'clone')) {
          await d.cloneFromSnapshot({ sourceVolumeName: volumeName, snapshotName, name: cloneName });
          tree = await d.getVolumeTree(volumeName);
          const member = tree.members.find((m) => m.name === cloneName);
          expect(member).toMatchObject({ kind: 'clone' });
          expect([snapshotName, volumeName]).toContain(member?.parent);
          expect((await d.getVolumeTree(cloneName)).root).toBe(volumeName);
        }

        if ((current().deleteVolumeWithSnapshots ?? 'conflict') === 'conflict') {
          const error = await rejection(d.deleteVolume(volumeName));
          expect(error.kind).toBe('conflict');
          expect(error.message).toContain(snapshotName);
          expect(await listed(volumeName)).toHaveLength(1);
        }

        await expect(d.deleteVolumeTree(volumeName)).resolves.toBeUndefined();
        const names = (await d.listVolumes()).map((volume) => volume.name);
        expect(names).not.toContain(volumeName);
        expect(names).not.toContain(cloneName);
        expect((await rejection(d.getVolumeTree(volumeName))).kind).toBe('not_found');
        await expect(d.deleteVolumeTree(volumeName)).resolves.toBeUndefined();
      },
      DATA_TIMEOUT_MS,
    );

    // ---- QoS (where declared) ----------------------------------------------------

    it('qos [where declared]: accepts valid limits and refuses invalid or undeclared ones as invalid', async () => {
      const d = withCapability('qos');
      if (d === undefined) return;
      const { qosIops, qosBandwidth, qosTiers } = d.manifest.capabilities;
      const volumeName = newName();
      await d.createVolume({ name: volumeName, sizeBytes: size(0) });
      await d.grantAccess(volumeName, host());
      const invalid = async (limits: Parameters<typeof d.setQos>[1]): Promise<void> => {
        expect((await rejection(d.setQos(volumeName, limits))).kind).toBe('invalid');
      };

      if (qosIops) {
        await expect(d.setQos(volumeName, { iops: 1000 })).resolves.toBeUndefined();
        await expect(d.setQos(volumeName, { iops: null })).resolves.toBeUndefined();
        await invalid({ iops: -1 });
        await invalid({ iops: 1.5 });
      } else {
        await invalid({ iops: 1000 });
      }
      if (qosBandwidth) {
        await expect(d.setQos(volumeName, { bandwidthBytesPerSecond: 10 * MiB })).resolves.toBeUndefined();
        await expect(d.setQos(volumeName, { bandwidthBytesPerSecond: null })).resolves.toBeUndefined();
        await invalid({ bandwidthBytesPerSecond: -1 });
      } else {
        await invalid({ bandwidthBytesPerSecond: 10 * MiB });
      }
      if (qosTiers) {
        await expect(d.setQos(volumeName, { tier: null })).resolves.toBeUndefined();
        await invalid({ tier: '' });
      } else {
        await invalid({ tier: 'gold' });
      }
      const valid = qosIops ? { iops: 1000 } : qosBandwidth ? { bandwidthBytesPerSecond: 10 * MiB } : { tier: null };
      expect((await rejection(d.setQos(newName(), valid))).kind).toBe('not_found');
    });

    // ---- faults (network backends) -----------------------------------------------

    /** Only the local file backend has no network to fail; every vendor subject must bring an injector. */
    function injector(): FaultInjector | undefined {
      const faults = current().faults;
      if (faults === undefined) expect(driver().manifest.protocol).toBe('file');
      return faults;
    }

    it('faults [network backends]: after a 5xx the call is retried or transient, and the next call succeeds', async () => {
      const faults = injector();
      if (faults === undefined) return;
      const volumeName = newName();
      await faults.inject('5xx', 1);
      const first = await settle(driver().createVolume({ name: volumeName, sizeBytes: size(0) }));
      if (!first.ok) expect(first.error.kind).toBe('transient');
      await expect(driver().createVolume({ name: volumeName, sizeBytes: size(0) })).resolves.toMatchObject({ name: volumeName });
      expect(await listed(volumeName)).toHaveLength(1);
    });

    it(
      'faults [network backends]: a timeout is retried or transient, within the client timeout, and the next call succeeds',
      async () => {
        const faults = injector();
        if (faults === undefined) return;
        const timeoutMs = faults.clientTimeoutMs ?? 5000;
        await faults.inject('timeout', 1);
        const started = Date.now();
        const first = await settle(driver().listVolumes());
        const elapsed = Date.now() - started;
        if (!first.ok) expect(first.error.kind).toBe('transient');
        // One attempt that times out, plus (when the client retries) a backoff and a second attempt.
        expect(elapsed).toBeLessThan(2 * timeoutMs + 5000);
        await expect(driver().listVolumes()).resolves.toEqual(expect.any(Array));
      },
      60_000,
    );

    it('faults [network backends]: a 401 re-logs in and retries once, or fails as terminal saying authentication failed', async () => {
      const faults = injector();
      if (faults === undefined) return;
      await faults.inject('401', 1);
      const first = await settle(driver().listVolumes());
      if (faults.on401 === 'relogin') {
        expect(first.ok ? 'succeeded' : `${first.error.kind}: ${first.error.message}`).toBe('succeeded');
      } else {
        expect(first.ok ? 'succeeded' : first.error.kind).toBe('terminal');
        expect(first.ok ? '' : first.error.message).toMatch(/authentication failed/i);
      }
      await expect(driver().listVolumes()).resolves.toEqual(expect.any(Array));
    });
  });
}

function expectConsistent(capacity: { totalBytes: number; usedBytes: number; freeBytes: number }): void {
  for (const value of [capacity.totalBytes, capacity.usedBytes, capacity.freeBytes]) {
    expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
  }
  expect(capacity.totalBytes).toBeGreaterThan(0);
  expect(capacity.usedBytes).toBeLessThanOrEqual(capacity.totalBytes);
  expect(capacity.freeBytes).toBeLessThanOrEqual(capacity.totalBytes);
}

/** What must not change between two answers about the same volume (allocation may grow with writes). */
function identity(volume: BackendVolume): Pick<BackendVolume, 'name' | 'sizeBytes' | 'path'> {
  return { name: volume.name, sizeBytes: volume.sizeBytes, path: volume.path };
}
