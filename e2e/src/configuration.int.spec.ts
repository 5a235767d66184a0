import { spawn } from 'node:child_process';
import path from 'node:path';

// Each service, started as its built process with bad configuration, must stop before it
// connects to anything, with exit code 2 and one line per bad value naming the variable —
// including the settings its modules read when they load (periods, host ids, URLs), which
// used to surface one at a time as a stack trace.

const ROOT = path.resolve(__dirname, '..', '..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');

interface Started {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
}

/** Runs the service until it exits, or kills it after `aliveMs` (then code is null: it was still running). */
function start(service: string, env: Record<string, string>, aliveMs?: number): Promise<Started> {
  return new Promise((resolve, reject) => {
    // Only what the test gives: nothing from the developer's shell may fix or spoil the config.
    const child = spawn(NODE, [path.join(ROOT, 'apps', service, 'dist', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      if (aliveMs === undefined) reject(new Error(`${service} did not stop on bad configuration within 30 s; stderr:\n${stderr}`));
    }, aliveMs ?? 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal === 'SIGKILL' ? null : code, stderr, stdout });
    });
  });
}

const COMMON_BAD = { KAFKA_BROKERS: 'kafka', STRATA_SECRET_KEY: 'short', STRATA_INSTALLATION_ID: 'TOOLONG' };
const COMMON_LINES = [
  'DATABASE_URL: required, a postgres:// URL',
  'KAFKA_BROKERS: "kafka" is not host:port',
  'STRATA_INSTALLATION_ID: exactly 4 lowercase letters or digits',
  'STRATA_SECRET_KEY: 32 random bytes, base64-encoded',
];

const CASES: { service: string; env: Record<string, string>; lines: string[] }[] = [
  {
    service: 'orchestrator',
    env: { ORCHESTRATOR_PORT: 'http', STRATA_IMAGE_SERVICE_URL: 'images:8084', STRATA_BOOTSTRAP_ADMIN_KEY: 'admin' },
    lines: [
      'ORCHESTRATOR_PORT: "http" is not a TCP port',
      'STRATA_IMAGE_SERVICE_URL: must be an http(s) URL',
      'STRATA_BOOTSTRAP_ADMIN_KEY: at least 32 characters',
    ],
  },
  {
    service: 'storage-service',
    env: { STRATA_RECONCILE_INTERVAL_MS: 'hourly', STRATA_DATA_MOVER_HOST_ID: 'mover-1', STRATA_RECOVERY_GRACE_MS: '-1' },
    lines: [
      'STRATA_RECONCILE_INTERVAL_MS: "hourly" is not a whole number of milliseconds',
      'STRATA_DATA_MOVER_HOST_ID: must be the id (a UUID) of a registered data-mover host, got "mover-1"',
      'STRATA_RECOVERY_GRACE_MS: "-1" is not a whole number of milliseconds',
    ],
  },
  {
    service: 'snapshot-service',
    env: { STRATA_POLICY_TICK_MS: '5' },
    lines: ['STRATA_POLICY_TICK_MS: "5" is not a whole number of milliseconds between 100'],
  },
  {
    service: 'backup-service',
    env: { STRATA_BACKUP_HOST_ID: 'backup-host', STRATA_BACKUP_GC_INTERVAL_MS: '10', STRATA_LOG_FORMAT: 'yaml' },
    lines: [
      'STRATA_BACKUP_HOST_ID: must be the id (a UUID) of the registered host this service runs on, got "backup-host"',
      'STRATA_BACKUP_GC_INTERVAL_MS: "10" is not a whole number of milliseconds between 1000',
      'STRATA_LOG_FORMAT: "yaml" is neither json nor text',
    ],
  },
  {
    service: 'image-service',
    env: { STRATA_BASE_RETIREMENT_SWEEP_MS: '1m' },
    lines: ['STRATA_BASE_RETIREMENT_SWEEP_MS: "1m" is not a whole number of milliseconds'],
  },
];

describe('configuration is checked at start, all at once', () => {
  it.each(CASES)('$service stops with exit 2 and names every bad value', async ({ service, env, lines }) => {
    const result = await start(service, { ...COMMON_BAD, ...env });
    expect(result.code).toBe(2);
    const reported = result.stderr.split('\n').filter((l) => l.trimStart().startsWith('- ')).map((l) => l.trim().slice(2));
    for (const line of [...COMMON_LINES, ...lines]) {
      expect(reported.some((r) => r.startsWith(line))).toBe(true);
    }
    // One line per bad value, nothing else: no stack trace, and no value reported twice.
    expect(reported).toHaveLength(COMMON_LINES.length + lines.length);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).toContain(`${service}: invalid configuration:`);
  });

  it('a good configuration is not refused: the same check passes and the service goes on to connect', async () => {
    // Nothing answers on these ports: past the check, the service keeps trying to connect
    // (still running after 4 s, or failing on the connection), never exit 2.
    const result = await start(
      'snapshot-service',
      { DATABASE_URL: 'postgres://strata:strata@127.0.0.1:1/strata', KAFKA_BROKERS: '127.0.0.1:1', STRATA_POLICY_TICK_MS: '1000', STRATA_LOG_FORMAT: 'text' },
      4_000,
    );
    expect(result.code).not.toBe(2);
    expect(result.stderr).not.toContain('invalid configuration');
  });
});
