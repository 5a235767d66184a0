import { readdir } from 'node:fs/promises';
import type { BackendFault } from './plan';

/** A backend object as the array (or directory) lists it, with the volume id it belongs to when its name holds one. */
export interface BackendObject {
  readonly name: string;
  readonly volumeId: string | undefined;
}

/**
 * A storage pool the run creates volumes on: what AddStoragePool needs, what the backend holds
 * at the end, and (for a simulated array) faults it can be told to answer with.
 */
export interface FaultPool {
  /** Short name for the table ("file", "storpool"). */
  readonly label: string;
  /** AddStoragePool's data, but for the id and name the run gives it. */
  readonly addData: { plugin: string; zoneId: string; config: Record<string, unknown>; overProvisioningFactor?: number };
  /** The volumes' objects on the backend now (snapshots and driver scratch left out; see `scratch`). */
  objects(): Promise<BackendObject[]>;
  /** Objects the driver keeps for itself that a kill may leave behind (counted, not checked). */
  scratch(): Promise<string[]>;
  /**
   * Makes the backend's next API call fail with `fault`; false when a fault injected before is
   * still waiting for its call (the two would fail the same call: not injected, counted apart).
   * Absent on a backend that has no API to fail.
   */
  inject?(fault: BackendFault): Promise<boolean>;
  close(): Promise<void>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** The file backend on a directory: a volume is a file whose name holds its id. */
export function filePool(dir: string): FaultPool {
  return {
    label: 'file',
    addData: { plugin: 'file', zoneId: 'z1', config: { path: dir }, overProvisioningFactor: 100 },
    async objects() {
      // Names starting with a dot are the driver's own: its directories (.snapshots, clones)
      // and the scratch files of an attempt a kill cut short.
      return (await readdir(dir)).filter((f) => !f.startsWith('.')).map((name) => ({ name, volumeId: UUID.exec(name)?.[0] }));
    },
    async scratch() {
      return (await readdir(dir)).filter((f) => f.startsWith('.strata-probe-') || f.startsWith('.strata-tmp-'));
    },
    async close() {},
  };
}
