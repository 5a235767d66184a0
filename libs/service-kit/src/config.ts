import { DEFAULT_SESSION_TIMEOUT_MS, MIN_SESSION_TIMEOUT_MS } from '@strata/messaging';

/**
 * Service configuration from the environment, checked at start: every bad or missing
 * value is reported at once, by name, before anything connects.
 */
export interface ServiceConfig {
  readonly serviceName: string;
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly topicPrefix: string;
  readonly installationId: string;
  readonly kafkaReplicationFactor: number;
  /** Key for credentials at rest (STRATA_SECRET_KEY); absent: pools with credentials are refused. */
  readonly secretKey: string | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export function loadServiceConfig(
  serviceName: string,
  defaultPort: number,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  const problems: string[] = [];
  const portVar = `${serviceName.toUpperCase().replace(/-/g, '_')}_PORT`;
  const rawPort = env[portVar] ?? env.PORT ?? String(defaultPort);
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`${portVar}: "${rawPort}" is not a TCP port (0-65535)`);
  const databaseUrl = env.DATABASE_URL ?? '';
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL: required, a postgres:// URL');
  const kafkaBrokers = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (kafkaBrokers.length === 0) problems.push('KAFKA_BROKERS: required, comma-separated host:port list');
  for (const b of kafkaBrokers) if (!/^[^:\s]+:\d+$/.test(b)) problems.push(`KAFKA_BROKERS: "${b}" is not host:port`);
  const topicPrefix = env.STRATA_TOPIC_PREFIX ?? '';
  if (!/^[A-Za-z0-9._-]*$/.test(topicPrefix)) problems.push('STRATA_TOPIC_PREFIX: only letters, digits, ".", "_" and "-"');
  // Four characters, like CloudStack's custom.cs.identifier: it ends every name on a shared
  // backend (PowerFlex: vol-<id>-<pool key>-<installation id> in 31 characters).
  const installationId = env.STRATA_INSTALLATION_ID ?? 'st01';
  if (!/^[a-z0-9]{4}$/.test(installationId)) problems.push('STRATA_INSTALLATION_ID: exactly 4 lowercase letters or digits');
  const rf = Number(env.KAFKA_REPLICATION_FACTOR ?? '1');
  if (!Number.isInteger(rf) || rf < 1) problems.push('KAFKA_REPLICATION_FACTOR: a positive integer');
  const secretKey = env.STRATA_SECRET_KEY?.trim() || null;
  if (secretKey !== null && Buffer.from(secretKey, 'base64').length !== 32) {
    problems.push('STRATA_SECRET_KEY: 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)');
  }
  const logFormat = env.STRATA_LOG_FORMAT?.trim();
  if (logFormat && logFormat !== 'json' && logFormat !== 'text') problems.push(`STRATA_LOG_FORMAT: "${logFormat}" is neither json nor text`);
  // Settings read when modules load (periods, host ids) are reported here with the rest.
  if (env === process.env) problems.push(...settingProblems.values());
  if (problems.length) throw new ConfigError(problems);
  return {
    serviceName,
    port,
    host: env.STRATA_BIND_HOST ?? '127.0.0.1',
    databaseUrl,
    kafkaBrokers,
    topicPrefix,
    installationId,
    kafkaReplicationFactor: rf,
    secretKey,
  };
}

/** The URL with its password masked, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}

/**
 * Problems of the settings read when a module loads (`intervalSetting`, `uuidSetting`,
 * `checkedSetting`), by variable. They are not thrown at import, where a stack trace would
 * hide them and only the first would show: `loadServiceConfig` (which `bootstrapService`
 * calls before anything connects) reports them all at once with the common variables.
 */
const settingProblems = new Map<string, string>();

/** A module-level setting: parsed now; a bad value is recorded for the start check and the fallback returned meanwhile. */
export function checkedSetting<T>(name: string, parse: (raw: string) => T, fallback: T, env: NodeJS.ProcessEnv = process.env): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  try {
    return parse(raw.trim());
  } catch (error) {
    settingProblems.set(name, error instanceof ConfigError ? error.problems.join('; ') : `${name}: ${(error as Error).message}`);
    return fallback;
  }
}

/** A period in milliseconds read when a module loads; see `intervalFromEnv` for the rule. */
export function intervalSetting(name: string, fallback: number, min = 1): number {
  return checkedSetting(name, () => intervalFromEnv(name, fallback, min), fallback);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id (a UUID) of a registered thing, or null when unset; read when a module loads. */
export function uuidSetting(name: string, what: string): string | null {
  return checkedSetting(
    name,
    (raw) => {
      if (!UUID.test(raw)) throw new ConfigError([`${name}: must be the id (a UUID) of ${what}, got ${JSON.stringify(raw)}`]);
      return raw;
    },
    null,
  );
}

/**
 * A period in milliseconds from the environment, or the default. A value that is not a
 * whole number in range stops the service at start with the variable's name, rather than
 * becoming a 1 ms timer (Node's reading of NaN).
 */
export function intervalFromEnv(name: string, fallback: number, min = 1, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new ConfigError([`${name}: "${raw}" is not a whole number of milliseconds between ${min} and ${2 ** 31 - 1}`]);
  }
  return value;
}

/** The broker's default group.max.session.timeout.ms: a longer session is refused at join. */
const MAX_SESSION_TIMEOUT_MS = 1_800_000;

/**
 * STRATA_KAFKA_SESSION_TIMEOUT_MS (docs/configuration.md): how long Kafka waits for a silent
 * consumer of the service. Shorter gives a killed service's partitions back sooner; a handler
 * attempt that runs longer loses its partition and the message is delivered again. Only what
 * the broker accepts by default (6 000 to 1 800 000): anything else would fail at the join.
 */
export function kafkaSessionTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const name = 'STRATA_KAFKA_SESSION_TIMEOUT_MS';
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return DEFAULT_SESSION_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < MIN_SESSION_TIMEOUT_MS || ms > MAX_SESSION_TIMEOUT_MS) {
    throw new ConfigError([
      `${name}: "${raw}" is not a whole number of milliseconds between ${MIN_SESSION_TIMEOUT_MS} and ${MAX_SESSION_TIMEOUT_MS} (the broker's group.min/max.session.timeout.ms)`,
    ]);
  }
  return ms;
}
