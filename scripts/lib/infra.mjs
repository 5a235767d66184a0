// Local infrastructure for Strata (PostgreSQL + Kafka), driven through the two bash scripts:
//   scripts/postgres-local.sh ensure --json   -> {"url", "started", "source", "log"}
//   scripts/kafka-local.sh ensure --json      -> {"brokers", "started", "version", "pid", "log"}
// The scripts hold all process handling (pid files, locks, timeouts, log files); this module
// runs them, honours DATABASE_URL / KAFKA_BROKERS, and writes $STRATA_HOME/env.
// Docs: docs/infrastructure.md
import { spawn } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPTS_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO_ROOT = path.dirname(SCRIPTS_DIR);

export function strataHome() {
  return path.resolve(process.env.STRATA_HOME || path.join(REPO_ROOT, '.strata'));
}

export function envFilePath() {
  return path.join(strataHome(), 'env');
}

const defaultLog = (line) => process.stderr.write(`${line}\n`);

/**
 * Runs scripts/<script> with args. stderr lines are forwarded to `log` as they come;
 * resolves with stdout. Rejects with an Error naming the script, its exit status and the
 * last stderr lines (the scripts name the log file to read in their own error lines).
 */
function runScript(script, args, log) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(SCRIPTS_DIR, script), ...args], {
      cwd: REPO_ROOT,
      env: process.env,
      // The scripts detach their servers from these pipes, so 'close' fires when they exit.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let partial = '';
    const tail = [];
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        log(line);
        tail.push(line);
        if (tail.length > 15) tail.shift();
      }
    });
    child.on('error', (err) => reject(new Error(`could not run ${script}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (partial) {
        log(partial);
        tail.push(partial);
      }
      if (code === 0) return resolve(stdout);
      const status = signal ? `signal ${signal}` : `exit ${code}`;
      const err = new Error(
        `scripts/${script} ${args.join(' ')} failed (${status})` +
          (tail.length ? `:\n  ${tail.slice(-6).join('\n  ')}` : ''),
      );
      err.exitCode = code;
      err.stdout = stdout;
      reject(err);
    });
  });
}

function parseJsonLine(stdout, script) {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`scripts/${script} printed unexpected output: ${JSON.stringify(stdout)}`);
  }
}

function parseHostPort(entry) {
  const s = entry.trim();
  const i = s.lastIndexOf(':');
  if (i <= 0) throw new Error(`bad broker address "${entry}" (want host:port)`);
  return { host: s.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(s.slice(i + 1)) };
}

/**
 * True when a Kafka broker answers on host:port: sends an ApiVersions v0 request and checks the
 * reply carries our correlation id (same probe as kafka-local.sh; no kafkajs, no retries).
 */
export function kafkaAnswers(host, port, timeoutMs = 3000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => {
      // size=14 | api_key=18 (ApiVersions) | version=0 | correlation_id=42 | client_id="live"
      sock.write(Buffer.from([0, 0, 0, 14, 0, 18, 0, 0, 0, 0, 0, 42, 0, 4, 0x6c, 0x69, 0x76, 0x65]));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 8) done(buf.readInt32BE(4) === 42);
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

async function checkKafkaBrokers(list, log) {
  const entries = list.split(',').filter((s) => s.trim());
  if (!entries.length) throw new Error('KAFKA_BROKERS is set but empty');
  const results = await Promise.all(
    entries.map(async (e) => {
      const { host, port } = parseHostPort(e);
      return { e, ok: await kafkaAnswers(host, port) };
    }),
  );
  for (const r of results.filter((x) => !x.ok)) log(`[infra] WARNING: KAFKA_BROKERS entry ${r.e} does not answer`);
  if (!results.some((r) => r.ok)) {
    throw new Error(`KAFKA_BROKERS=${list}: no broker answers (ApiVersions probe); start it or unset KAFKA_BROKERS`);
  }
}

// Shell- and dotenv-compatible: bare when safe, else single-quoted.
function envValue(v) {
  if (/^[A-Za-z0-9_@%+=:,./?-]*$/.test(v)) return v; // assignments are not globbed: ? is safe
  return `'${v.replaceAll("'", "'\\''")}'`;
}

async function writeEnvFile({ databaseUrl, kafkaBrokers }) {
  const file = envFilePath();
  await mkdir(path.dirname(file), { recursive: true });
  const body =
    `# Written by scripts/infra.mjs up at ${new Date().toISOString()}.\n` +
    '# Shell: set -a; . .strata/env; set +a    Node: process.loadEnvFile(path) or node --env-file\n' +
    `DATABASE_URL=${envValue(databaseUrl)}\n` +
    `KAFKA_BROKERS=${envValue(kafkaBrokers)}\n`;
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, body, { mode: 0o600 }); // holds a password
  await rename(tmp, file);
  return file;
}

/**
 * Make PostgreSQL and Kafka available (reuse what runs, start what does not) and write
 * $STRATA_HOME/env. DATABASE_URL / KAFKA_BROKERS, when set, are only checked, never started.
 * Both ensures run in parallel: they use separate state dirs and locks.
 * @returns {Promise<{databaseUrl: string, kafkaBrokers: string, startedKafka: boolean,
 *   startedPostgres: boolean, envFile: string}>}
 */
export async function ensureInfra({ log = defaultLog } = {}) {
  const t0 = Date.now();
  // Tools first and alone: their apt-get must not race PostgreSQL's for the dpkg lock.
  await runScript('tools-local.sh', ['ensure'], log);
  const pg = runScript('postgres-local.sh', ['ensure', '--json'], log).then((out) =>
    parseJsonLine(out, 'postgres-local.sh'),
  );
  const externalKafka = process.env.KAFKA_BROKERS?.trim();
  const kafka = externalKafka
    ? checkKafkaBrokers(externalKafka, log).then(() => ({ brokers: externalKafka, started: false }))
    : runScript('kafka-local.sh', ['ensure', '--json'], log).then((out) => parseJsonLine(out, 'kafka-local.sh'));

  const [pgRes, kafkaRes] = await Promise.allSettled([pg, kafka]);
  const failures = [];
  if (pgRes.status === 'rejected') failures.push(`PostgreSQL: ${pgRes.reason.message}`);
  if (kafkaRes.status === 'rejected') failures.push(`Kafka: ${kafkaRes.reason.message}`);
  if (failures.length) {
    const ok = [];
    if (pgRes.status === 'fulfilled') ok.push(`PostgreSQL is up (${pgRes.value.started ? 'started' : 'reused'})`);
    if (kafkaRes.status === 'fulfilled') ok.push(`Kafka is up (${kafkaRes.value.started ? 'started' : 'reused'})`);
    throw new Error(
      `infrastructure not ready:\n${failures.join('\n')}` +
        (ok.length ? `\n(${ok.join('; ')}; stop with: node scripts/infra.mjs down)` : ''),
    );
  }
  const result = {
    databaseUrl: pgRes.value.url,
    kafkaBrokers: kafkaRes.value.brokers,
    startedKafka: kafkaRes.value.started === true,
    startedPostgres: pgRes.value.started === true,
  };
  result.envFile = await writeEnvFile(result);
  log(
    `[infra] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ` +
      `PostgreSQL ${result.startedPostgres ? 'started' : 'reused'}, Kafka ${result.startedKafka ? 'started' : 'reused'}; ` +
      `env file ${result.envFile}`,
  );
  return result;
}

/**
 * Stop what the scripts started (the project PostgreSQL cluster, the local broker). Servers we
 * did not start (system cluster, DATABASE_URL, KAFKA_BROKERS) are never touched. The env file
 * is left in place.
 */
export async function stopInfra({ kafka = true, postgres = true, log = defaultLog } = {}) {
  const jobs = [];
  if (postgres) jobs.push(runScript('postgres-local.sh', ['stop'], log));
  if (kafka) jobs.push(runScript('kafka-local.sh', ['stop'], log));
  const res = await Promise.allSettled(jobs);
  const failed = res.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  if (failed.length) throw new Error(`stop failed:\n${failed.join('\n')}`);
}

/** Status of both services without starting anything: {postgres, kafka} each {running, detail}. */
export async function infraStatus({ log = () => {} } = {}) {
  const status = async (script) => {
    try {
      return { running: true, detail: (await runScript(script, ['status'], log)).trim() };
    } catch (err) {
      if (err.exitCode === 1) return { running: false, detail: err.stdout.trim() || 'not running' };
      throw err;
    }
  };
  const externalKafka = process.env.KAFKA_BROKERS?.trim();
  const [postgres, kafka] = await Promise.all([
    status('postgres-local.sh'),
    externalKafka
      ? checkKafkaBrokers(externalKafka, log).then(
          () => ({ running: true, detail: `KAFKA_BROKERS=${externalKafka} answers` }),
          (err) => ({ running: false, detail: err.message }),
        )
      : status('kafka-local.sh'),
  ]);
  return { postgres, kafka };
}
