import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, rm, symlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from './services';

export interface RunInfra {
  /** An admin URL of the run's PostgreSQL (createTestInfra makes the run's database on it). */
  readonly databaseUrl: string;
  readonly kafkaBrokers: string[];
  /** One line for the log: where the servers are. */
  readonly description: string;
  /** Hard-kills the broker, keeps it down `downMs`, starts it again; resolves when it answers. */
  restartKafka(downMs: number): Promise<void>;
  /** The same for PostgreSQL. */
  restartPostgres(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The run's own PostgreSQL server and Kafka broker, started by the project's scripts
 * (scripts/postgres-local.sh, scripts/kafka-local.sh) with STRATA_HOME under `dir` and ports
 * the OS gave out as free: restarting them disturbs no other run and not `npm start`, which
 * use the shared servers. A restart is a crash: SIGKILL of the server's whole process group
 * (both scripts start their server in a session of its own), no shutdown of any kind.
 */
export async function startRunInfra(dir: string, log: (line: string) => void): Promise<RunInfra> {
  await mkdir(dir, { recursive: true });
  const [pgPort, kafkaPort, controllerPort] = await freePorts(3);
  const kafkaVersion = await linkSharedKafkaJars(dir, log);
  // The scripts honour DATABASE_URL / KAFKA_BROKERS (they would reuse the shared servers), and
  // PG_PORT set means no fallback port: the run's servers are exactly these.
  const env: NodeJS.ProcessEnv = { ...process.env, STRATA_HOME: dir, PG_PORT: String(pgPort), KAFKA_PORT: String(kafkaPort), KAFKA_CONTROLLER_PORT: String(controllerPort) };
  delete env.DATABASE_URL;
  delete env.KAFKA_BROKERS;
  delete env.STRATA_PG_FAST; // synchronous_commit=off would lose commits in a crash: not what a restart should test
  if (kafkaVersion) env.KAFKA_VERSION = kafkaVersion;
  const run = (script: string, args: string[]) => runScript(script, args, env, (line) => log(`  ${line}`));

  const servers = new Servers(dir);
  // The servers' logs outlive the run's directory, beside the services' logs.
  const keptLogs = path.join(REPO_ROOT, '.strata', 'logs', `faults-infra-${path.basename(path.dirname(dir))}`);
  const keepLogs = async () => {
    await mkdir(keptLogs, { recursive: true });
    for (const f of ['pg/postgres.log', 'pg/postgres.log.1', 'kafka/broker.log', 'kafka/broker.log.1']) {
      await cp(path.join(dir, f), path.join(keptLogs, path.basename(f))).catch(() => undefined);
    }
  };
  const stop = async () => {
    await servers.stopAll();
    await keepLogs();
  };
  try {
    // Both settled before going on: a failure of one must not leave the other starting unseen.
    const [pgResult, kafkaResult] = await Promise.allSettled([
      run('postgres-local.sh', ['ensure', '--json']).then((out) => lastJson<{ url: string; source: string }>(out)),
      run('kafka-local.sh', ['ensure', '--json']).then((out) => lastJson<{ brokers: string; version: string }>(out)),
    ]);
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (kafkaResult.status === 'rejected') throw kafkaResult.reason;
    const [pg, kafka] = [pgResult.value, kafkaResult.value];
    // `ensure` would reuse a server that answers on the port instead of starting one; the port
    // was free a moment ago, so anything else is a race with another process: refuse it.
    if (pg.source !== 'project') throw new Error(`postgres-local.sh used a ${pg.source} server, not the run's own`);
    if (servers.postgresPid() === undefined) throw new Error('the run\'s PostgreSQL does not run (no postmaster.pid)');
    if (servers.kafkaPid() === undefined) throw new Error('the run\'s Kafka broker does not run (no broker.pid)');
    servers.armExitHook();
    return {
      databaseUrl: pg.url,
      kafkaBrokers: [kafka.brokers],
      description: `the run's own PostgreSQL (127.0.0.1:${pgPort}) and Kafka ${kafka.version} (${kafka.brokers}) under ${dir}; their logs kept in ${keptLogs}`,
      restartKafka: async (downMs) => {
        await servers.crash('kafka');
        await sleep(downMs);
        await run('kafka-local.sh', ['start']);
      },
      restartPostgres: async (downMs) => {
        const pid = await servers.crash('postgres');
        // The crash leaves postmaster.pid and the socket's lock file behind, both naming the
        // dead postmaster. Its parent is this machine's init (pg_ctl detached it), which reaps
        // late: while the pid is a zombie, kill(pid, 0) succeeds, so pg_ctl takes the cluster
        // for running and the postmaster refuses to start ("lock file ... already exists"); a
        // pid used again would do the same. The files are stale (every process of the server is
        // gone): removed, as an operator would after a crash.
        if (processState(pid) === 'Z') log(`  the dead postmaster (pid ${pid}) is not reaped yet; removing its stale lock files`);
        await removeStaleLocks(path.join(dir, 'pg'));
        await sleep(downMs);
        // `ensure` finds the cluster stopped and starts it on the same data: crash recovery.
        await run('postgres-local.sh', ['ensure']);
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** The two servers' process groups, found from their pid files; killed with SIGKILL. */
class Servers {
  private readonly pgDataDir: string;
  private readonly kafkaPidFile: string;
  private readonly killOnExit = () => {
    for (const pid of [this.kafkaPid(), this.postgresPid()]) if (pid !== undefined) killGroup(pid);
  };

  constructor(dir: string) {
    this.pgDataDir = path.join(dir, 'pg', 'data');
    this.kafkaPidFile = path.join(dir, 'kafka', 'broker.pid');
  }

  postgresPid(): number | undefined {
    return livePid(path.join(this.pgDataDir, 'postmaster.pid'));
  }

  kafkaPid(): number | undefined {
    return livePid(this.kafkaPidFile);
  }

  /** However the run ends (an error thrown past main's cleanup, process.exit), no server stays behind. */
  armExitHook(): void {
    process.once('exit', this.killOnExit);
  }

  /** SIGKILL for the server and its children; resolves with the pid it had once all are gone. */
  async crash(server: 'kafka' | 'postgres'): Promise<number> {
    const pid = server === 'kafka' ? this.kafkaPid() : this.postgresPid();
    if (pid === undefined) throw new Error(`cannot crash ${server}: it does not run`);
    await killGroupAndWait(pid);
    return pid;
  }

  async stopAll(): Promise<void> {
    process.removeListener('exit', this.killOnExit);
    // The data is thrown away with the run's directory: nothing to shut down cleanly.
    await Promise.all([this.kafkaPid(), this.postgresPid()].filter((p): p is number => p !== undefined).map(killGroupAndWait));
  }
}

/** The pid in the file's first line, if such a process is alive (not a zombie). */
function livePid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return processState(pid) !== undefined && processState(pid) !== 'Z' ? pid : undefined;
}

/** postmaster.pid in the data directory and `.s.PGSQL.<port>.lock` in the socket directory. */
async function removeStaleLocks(pgDir: string): Promise<void> {
  await rm(path.join(pgDir, 'data', 'postmaster.pid'), { force: true });
  const conf = readFileSync(path.join(pgDir, 'data', 'strata.conf'), 'utf8');
  const socketDir = /^unix_socket_directories = '([^']+)'/m.exec(conf)?.[1];
  if (!socketDir || !existsSync(socketDir)) return;
  for (const f of readdirSync(socketDir)) if (/^\.s\.PGSQL\.\d+\.lock$/.test(f)) await rm(path.join(socketDir, f), { force: true });
}

function processState(pid: number): string | undefined {
  try {
    return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function processGroup(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** SIGKILL to the server's process group when it leads one (PostgreSQL's backends with it), else to it alone. */
function killGroup(pid: number): void {
  try {
    if (processGroup(pid) === pid) process.kill(-pid, 'SIGKILL');
    else process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function killGroupAndWait(pid: number): Promise<void> {
  const group = processGroup(pid) === pid;
  killGroup(pid);
  // Gone means every member gone: a PostgreSQL backend still attached to the old shared memory
  // would make the new postmaster refuse to start.
  const deadline = Date.now() + 30_000;
  while (group ? groupMembers(pid).length > 0 : processState(pid) !== undefined && processState(pid) !== 'Z') {
    if (Date.now() > deadline) throw new Error(`process ${pid}${group ? ' (group)' : ''} still alive 30 s after SIGKILL`);
    await sleep(50);
  }
}

function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => processGroup(p) === pgid && processState(p) !== 'Z');
}

/** Ports free right now (the OS picks them); held together so none is given twice. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Points $dir/kafka/lib-<version> at jars a shared STRATA_HOME already fetched (the script
 * treats a lib dir with its marker as fetched), so the run's broker costs no Maven resolve.
 * Returns the version linked, or undefined to let the script fetch.
 */
async function linkSharedKafkaJars(dir: string, log: (line: string) => void): Promise<string | undefined> {
  const wanted = process.env.KAFKA_VERSION;
  for (const home of [process.env.STRATA_HOME, path.join(REPO_ROOT, '.strata'), '/work/main/.strata']) {
    if (!home) continue;
    const kafkaDir = path.join(home, 'kafka');
    if (!existsSync(kafkaDir)) continue;
    const fetched = readdirSync(kafkaDir)
      .filter((d) => d.startsWith('lib-') && existsSync(path.join(kafkaDir, d, '.strata-fetched')))
      .map((d) => d.slice('lib-'.length))
      .filter((v) => !wanted || v === wanted)
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const version = fetched.at(-1);
    if (!version) continue;
    await mkdir(path.join(dir, 'kafka'), { recursive: true });
    await symlink(path.join(kafkaDir, `lib-${version}`), path.join(dir, 'kafka', `lib-${version}`));
    log(`Kafka ${version} jars from ${kafkaDir}`);
    return version;
  }
  return undefined;
}

function lastJson<T>(stdout: string): T {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`unexpected output from a script: ${JSON.stringify(stdout)}`);
  }
}

/** Runs scripts/<script>; its stderr (the scripts' log) goes to `log`; resolves with stdout. */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(REPO_ROOT, 'scripts', script), ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let partial = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        log(line);
        tail.push(line);
        if (tail.length > 6) tail.shift();
      }
    });
    child.on('error', reject);
    // The scripts detach their servers from these pipes, so 'close' comes when the script ends.
    child.on('close', (code, signal) => {
      if (partial) log(partial);
      if (code === 0) resolve(stdout);
      else reject(new Error(`scripts/${script} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${tail.join(' | ')}`));
    });
  });
}
