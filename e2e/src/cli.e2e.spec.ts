import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestInfra, infraEnv, type TestInfra } from '@strata/testing';

interface RunningService {
  name: string;
  url: string;
}
interface ServicesModule {
  startServices(options: { env: Record<string, string>; logDir: string; only?: string[] }): Promise<RunningService[]>;
  stopServices(running: RunningService[]): Promise<void>;
}
interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const REPO = path.join(__dirname, '..', '..');
const CLI_MAIN = path.join(REPO, 'apps', 'cli', 'dist', 'main.js');
const PORT_BASE = 18480; // away from `npm start` and the other e2e files
const MiB = 2 ** 20;

/**
 * The operator CLI, built (apps/cli/dist), as a child process against the running system: the
 * orchestrator, storage and snapshot services as processes on the real Kafka and PostgreSQL,
 * the orchestrator holding a fresh bootstrap admin key.
 */
describe('strata, the operator CLI, against a running system', () => {
  let infra: TestInfra;
  let lib: ServicesModule;
  let services: RunningService[] = [];
  let poolDir: string;
  let elsewhere: string;
  const adminKey = `stk_${randomBytes(32).toString('base64url')}`;
  const api = `http://127.0.0.1:${PORT_BASE}`;

  /** Runs the CLI with the URL and key from the environment, as an operator would after `export`. */
  function strata(args: string[], options: { command?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('STRATA_')) env[name] = value;
    Object.assign(env, { STRATA_URL: api, STRATA_API_KEY: adminKey }, options.env ?? {});
    const [command, argv] = options.command ? [options.command, args] : [process.execPath, [CLI_MAIN, ...args]];
    return new Promise((resolve, reject) => {
      const child = spawn(command, argv, { cwd: options.cwd ?? REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** A run that must succeed: its JSON output, or a failure showing what the CLI said. */
  async function json(args: string[]) {
    const run = await strata([...args, '--output', 'json']);
    if (run.code !== 0) throw new Error(`strata ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout);
  }

  beforeAll(async () => {
    infra = await createTestInfra('e2e-cli');
    poolDir = await mkdtemp(path.join(tmpdir(), 'strata-cli-pool-'));
    elsewhere = await mkdtemp(path.join(tmpdir(), 'strata-cli-cwd-'));
    lib = (await import(path.join(REPO, 'scripts', 'lib', 'services.mjs'))) as ServicesModule;
    services = await lib.startServices({
      env: {
        ...infraEnv(infra),
        STRATA_BOOTSTRAP_ADMIN_KEY: adminKey,
        ORCHESTRATOR_PORT: String(PORT_BASE),
        STORAGE_SERVICE_PORT: String(PORT_BASE + 1),
        SNAPSHOT_SERVICE_PORT: String(PORT_BASE + 2),
      },
      only: ['orchestrator', 'storage-service', 'snapshot-service'],
      logDir: path.join(REPO, '.strata', 'logs', `e2e-${infra.topicPrefix.replace(/\W/g, '')}`),
    });
  });

  afterAll(async () => {
    if (lib) await lib.stopServices(services);
    await infra?.dispose();
    for (const dir of [poolDir, elsewhere]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  let poolId: string;
  let volumeId: string;

  it('adds a file pool as admin and lists it with its capacity, as a table and as JSON', async () => {
    const added = await json(['pools', 'add', '--name', 'cli-pool', '--plugin', 'file', '--zone', 'zone-cli', '--config', `path=${poolDir}`, '--wait']);
    expect(added).toMatchObject({ status: 'succeeded', commandType: 'AddStoragePool' });
    poolId = added.aggregateId;

    const table = await strata(['pools', 'list']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+PLUGIN\s+ZONE\s+STATUS\s+CAPACITY \(USED \/ TOTAL\)\s+VOLUMES$/);
    const row = rows.find((r) => r.startsWith(poolId));
    expect(row).toMatch(/cli-pool\s+file\s+zone-cli\s+enabled\s+[\d.]+ [KMGTPE]?i?B \/ [\d.]+ [KMGTPE]iB \(\d+%\)\s+0$/);

    const listed = await json(['pools', 'list']);
    const pool = listed.items.find((p: { id: string }) => p.id === poolId);
    expect(pool).toMatchObject({ name: 'cli-pool', plugin: 'file', zoneId: 'zone-cli', status: 'enabled' });
    expect(pool.capacityBytes).toBeGreaterThan(0);
    expect(listed.nextCursor).toBeNull();
  });

  it('creates a volume with --wait (exit 0, the volume ready) and resizes it with --wait', async () => {
    const created = await strata(['volumes', 'create', '--name', 'cli-vol', '--size', '64MiB', '--pool', poolId, '--wait', '-o', 'json']);
    expect(created.code).toBe(0);
    const job = JSON.parse(created.stdout);
    expect(job).toMatchObject({ status: 'succeeded', commandType: 'CreateVolume' });
    volumeId = job.aggregateId;
    expect(await json(['volumes', 'show', volumeId])).toMatchObject({ id: volumeId, status: 'ready', sizeBytes: 64 * MiB, poolId });

    const resized = await strata(['volumes', 'resize', volumeId, '--size', '128MiB', '--wait']);
    expect(resized.code).toBe(0);
    expect(resized.stdout).toMatch(/status\s+succeeded/);
    expect(await json(['volumes', 'show', volumeId])).toMatchObject({ status: 'ready', sizeBytes: 128 * MiB });
    expect((await strata(['volumes', 'list', '--pool', poolId])).stdout).toMatch(new RegExp(`${volumeId}\\s+cli-vol\\s+128 MiB\\s+ready`));
  });

  it('takes a snapshot with --wait, then refuses to delete the volume that has it (the API code, exit 1)', async () => {
    // The snapshot service learns of the volume from the storage events; an attempt before that fails, so try again.
    let snapshot: CliRun | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      snapshot = await strata(['snapshots', 'create', volumeId, '--name', 'cli-snap', '--wait', '-o', 'json']);
      if (snapshot.code === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(snapshot?.code).toBe(0);
    const snapshotId = JSON.parse(snapshot!.stdout).aggregateId;
    expect((await json(['snapshots', 'list', '--volume', volumeId])).items.map((s: { id: string }) => s.id)).toEqual([snapshotId]);

    const refused = await strata(['volumes', 'delete', volumeId, '--wait']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error volume\.has_snapshots: /m);
    expect((await json(['volumes', 'show', volumeId])).status).toBe('ready');
  });

  it('follows a job with jobs wait, printing progress lines when not on a terminal', async () => {
    const accepted = await json(['volumes', 'resize', volumeId, '--size', '192MiB']);
    expect(accepted).toEqual({ jobId: expect.any(String), volumeId });
    const waited = await strata(['jobs', 'wait', accepted.jobId]);
    expect(waited.code).toBe(0);
    const lines = waited.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`job ${accepted.jobId}: succeeded 100%`);
    for (const line of lines) expect(line).toMatch(new RegExp(`^job ${accepted.jobId}: (accepted|running|succeeded)( \\d+%)?$`));
    expect(waited.stdout).toMatch(/command\s+ResizeVolume/);
  });

  it('exits 1 with auth.invalid_key for a wrong key, and never prints the key', async () => {
    const wrongKey = `stk_${randomBytes(32).toString('base64url')}`;
    const denied = await strata(['pools', 'list', '--api-key', wrongKey]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error auth\.invalid_key: /);
    expect(denied.stdout + denied.stderr).not.toContain(wrongKey);
    const noKey = await strata(['pools', 'list'], { env: { STRATA_API_KEY: '' } });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/^error auth\.missing_key: /);
  });

  it('runs as bin/strata from any directory, and deletes the volume with its snapshots', async () => {
    const listed = await strata(['--output', 'json', 'volumes', 'list', '--pool', poolId], { command: path.join(REPO, 'bin', 'strata'), cwd: elsewhere });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).items.map((v: { id: string }) => v.id)).toEqual([volumeId]);

    const deleted = await strata(['volumes', 'delete', volumeId, '--delete-snapshots', '--wait']);
    expect(deleted.code).toBe(0);
    expect((await json(['volumes', 'show', volumeId])).status).toBe('deleted');
  });
});
