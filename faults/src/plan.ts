import type { Options, ServiceName } from './options';
import { stream } from './random';

export type BackendFault = '5xx' | 'timeout' | '401';

export type PlannedFault =
  | { readonly atMs: number; readonly kind: 'kill'; readonly service: ServiceName; readonly downMs: number }
  | { readonly atMs: number; readonly kind: 'kafka' | 'postgres'; readonly downMs: number }
  /** `pick` in [0, 1) chooses among the pools that take faults. */
  | { readonly atMs: number; readonly kind: 'backend'; readonly fault: BackendFault; readonly pick: number };

/**
 * Everything a run decides by chance, drawn up front from the seed: the faults (when, which,
 * how long down) and, per CreateVolume by its index, which pool it goes to and whether it is
 * deleted once created. The same seed gives the same plan; what timing does with it (which
 * command a kill interrupts) still varies from run to run.
 */
export interface Plan {
  readonly seed: number;
  readonly faults: readonly PlannedFault[];
  /** Per CreateVolume index: the pool it goes to (index into the run's pools). */
  poolOf(index: number, pools: number): number;
  /** Per CreateVolume index: delete it once VolumeCreated is seen. */
  deleteAfterCreate(index: number): boolean;
}

export function makePlan(opts: Options): Plan {
  const streamMs = opts.seconds * 1000;
  // Faults land between 10 % and 90 % of the stream, so there is traffic before and after.
  const moment = (r: () => number) => (0.1 + 0.8 * r()) * streamMs;
  const faults: PlannedFault[] = [];
  const kill = stream(opts.seed, 'kill');
  for (let i = 0; i < opts.kills && opts.killTargets.length > 0; i++) {
    const service = opts.killTargets[Math.floor(kill() * opts.killTargets.length)] as ServiceName;
    faults.push({ atMs: moment(kill), kind: 'kill', service, downMs: Math.floor(kill() * 2000) });
  }
  const infra = stream(opts.seed, 'infra');
  for (let i = 0; i < opts.kafkaRestarts; i++) faults.push({ atMs: moment(infra), kind: 'kafka', downMs: Math.floor(infra() * 3000) });
  for (let i = 0; i < opts.postgresRestarts; i++) faults.push({ atMs: moment(infra), kind: 'postgres', downMs: Math.floor(infra() * 3000) });
  const backend = stream(opts.seed, 'backend');
  const kinds: BackendFault[] = ['5xx', 'timeout', '401'];
  const backendCount = Math.round(opts.backendFaultRate * opts.seconds);
  for (let i = 0; i < backendCount; i++) {
    faults.push({ atMs: (i + backend()) * (streamMs / Math.max(1, backendCount)), kind: 'backend', fault: kinds[Math.floor(backend() * 3)] as BackendFault, pick: backend() });
  }
  faults.sort((a, b) => a.atMs - b.atMs);

  const choices = stream(opts.seed, 'volumes');
  const drawn: { pool: number; del: boolean }[] = [];
  const at = (i: number) => {
    while (drawn.length <= i) drawn.push({ pool: choices(), del: choices() < 0.7 });
    return drawn[i] as { pool: number; del: boolean };
  };
  return {
    seed: opts.seed,
    faults,
    poolOf: (i, pools) => Math.floor(at(i).pool * pools),
    deleteAfterCreate: (i) => at(i).del,
  };
}
