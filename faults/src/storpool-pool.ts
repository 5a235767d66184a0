import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { BackendFault } from './plan';
import type { BackendObject, FaultPool } from './pools';
import { log } from './report';
import { REPO_ROOT } from './services';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/**
 * The pool's per-request timeout (the seeds' storage.pool.client.timeout, 30 s by default):
 * lowered in the pool's config, as an operator may, so that an injected timeout costs a few
 * seconds instead of 30. Still far above what the simulator takes to answer on a busy machine.
 */
export const CLIENT_TIMEOUT_MS = 3_000;
/** How long an injected timeout holds the answer: just past the client's timeout, so the client gives up first. */
export const HELD_MS = CLIENT_TIMEOUT_MS + 1_000;

/** A vendor simulator as a process of its own (as the e2e tests run one): its URL, and a way to stop it. */
export interface SimulatorProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts libs/backends/dist/<vendor>/simulator/main.js with `args`; resolves with the URL it prints first. */
export async function startSimulatorProcess(vendor: string, args: string[]): Promise<SimulatorProcess> {
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO_ROOT, 'libs', 'backends', 'dist', vendor, 'simulator', 'main.js'), '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${vendor} simulator exited (${code}): ${stderr}`)));
  });
  child.stdout!.resume();
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The simulator's own endpoints (/_sim/...): beside the vendor API, so they spend no injected fault. */
export async function simCall<T>(url: string, pathname: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${pathname}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${pathname}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Fault injection for a simulator: one failure at a time, timeouts alternating between a lost
 * request (nothing done) and a lost answer (the array did it: the case a client must not take
 * for a failure). A fault due while the last one still waits for a call means that same next
 * call, not a backlog: a queue that grows faster than calls come would keep the array down for
 * minutes after the faults stop. `merged` counts those, said before the table.
 */
export function faultInjector(url: string, pending: () => Promise<number>): { inject(fault: BackendFault): Promise<boolean>; merged(): number } {
  let timeouts = 0;
  let merged = 0;
  return {
    async inject(fault) {
      if ((await pending()) > 0) {
        merged++;
        return false;
      }
      const kind = fault === 'timeout' && timeouts++ % 2 === 1 ? 'lost-answer' : fault;
      await simCall(url, '/_sim/faults', { fault: kind, times: 1 });
      return true;
    },
    merged: () => merged,
  };
}

interface Inventory {
  readonly data: { readonly volumes: string[]; readonly snapshots: string[]; readonly pendingFaults: number };
}

/**
 * A StorPool pool on the StorPool simulator, run as a process with its data under `dir`.
 * Backend faults go to the simulator's fault injection: the next API call (whoever makes it:
 * a create, a delete, the capacity refresher, the reconciler) gets a 503 the vendor marks
 * transient, no answer, or a 401.
 */
export async function storpoolPool(dir: string): Promise<FaultPool> {
  // A token of the run's own, with a prefix a search of the logs for a leak can find.
  const authToken = `strata-faults-sp-${randomBytes(18).toString('base64url')}`;
  const dataDir = path.join(dir, 'storpool');
  await mkdir(dataDir, { recursive: true });
  const sim = await startSimulatorProcess('storpool', ['--data-dir', dataDir, '--token', authToken, '--timeout-fault-ms', String(HELD_MS)]);
  const { port } = new URL(sim.url);
  const inventory = async () => (await simCall<Inventory>(sim.url, '/_sim/inventory')).data;
  const faults = faultInjector(sim.url, async () => (await inventory()).pendingFaults);
  return {
    label: 'storpool',
    addData: {
      plugin: 'storpool',
      zoneId: 'z1',
      // devicePath: the simulator's volumes are its sparse files (no volume is attached here).
      config: { host: '127.0.0.1', port: Number(port), authToken, template: 'nvme', devicePath: path.join(dataDir, 'volumes', '{name}.raw'), timeoutMs: CLIENT_TIMEOUT_MS },
    },
    async objects(): Promise<BackendObject[]> {
      const held = await inventory();
      log(`storpool: ${faults.merged()} backend fault(s) fell due while the previous one still waited for a call (not queued); ${held.pendingFaults} left pending`);
      // Volumes are named strata-<volume id>-<installation id> (backendVolumeName); snapshots are not volumes and are left out.
      return held.volumes.map((name) => ({ name, volumeId: UUID.exec(name)?.[0] }));
    },
    async scratch() {
      // The StorPool driver keeps no objects of its own (no probe files, no temporary volumes).
      return [];
    },
    inject: (fault) => faults.inject(fault),
    close: () => sim.stop(),
  };
}
