import { parseArgs } from 'node:util';

export const SERVICE_NAMES = ['orchestrator', 'storage-service', 'snapshot-service', 'backup-service', 'image-service'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface Options {
  /** How long commands are offered. */
  seconds: number;
  /** CreateVolume commands per second (deletes and other commands come on top). */
  rate: number;
  /** SIGKILL + restart of a service, spread over `killTargets`. */
  kills: number;
  killTargets: ServiceName[];
  /** Restarts of the run's Kafka broker and of its PostgreSQL server (each a hard kill). */
  kafkaRestarts: number;
  postgresRestarts: number;
  /** Backend faults (5xx, timeout, 401 in turn, drawn by the seed) per second on the simulated pool. */
  backendFaultRate: number;
  /** Backups started per second (of volumes the plan keeps). */
  backupRate: number;
  seed: number;
  /** Longest wait, after the stream, for the outstanding outcomes. */
  drainSeconds: number;
  quick: boolean;
}

const USAGE =
  'usage: npm run faults -- [--quick] [--seconds N] [--rate N] [--kills N] [--kill-targets a,b] ' +
  '[--kafka-restarts N] [--postgres-restarts N] [--backend-fault-rate N] [--backup-rate N] [--seed N] [--drain N]';

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      rate: { type: 'string' },
      kills: { type: 'string' },
      'kill-targets': { type: 'string' },
      'kafka-restarts': { type: 'string' },
      'postgres-restarts': { type: 'string' },
      'backend-fault-rate': { type: 'string' },
      'backup-rate': { type: 'string' },
      seed: { type: 'string' },
      drain: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const num = (name: keyof typeof values, fallback: number, integer = true): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
      throw new Error(`--${name}: expected a ${integer ? 'whole ' : ''}number >= 0, got ${String(raw)}\n${USAGE}`);
    }
    return n;
  };
  const targets = (values['kill-targets'] ?? SERVICE_NAMES.join(',')).split(',').map((s) => s.trim());
  for (const t of targets) {
    if (!(SERVICE_NAMES as readonly string[]).includes(t)) throw new Error(`--kill-targets: unknown service '${t}' (one of ${SERVICE_NAMES.join(', ')})\n${USAGE}`);
  }
  return {
    quick,
    seconds: num('seconds', quick ? 30 : 120),
    rate: num('rate', quick ? 8 : 30),
    kills: num('kills', quick ? 3 : 10),
    killTargets: targets as ServiceName[],
    kafkaRestarts: num('kafka-restarts', quick ? 1 : 2),
    postgresRestarts: num('postgres-restarts', quick ? 1 : 2),
    backendFaultRate: num('backend-fault-rate', 0.5, false),
    backupRate: num('backup-rate', quick ? 0.3 : 0.5, false),
    seed: num('seed', Math.floor(Math.random() * 2 ** 31)),
    drainSeconds: num('drain', quick ? 120 : 180),
  };
}
