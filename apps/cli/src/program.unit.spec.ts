import type { Io } from './context';
import { run } from './program';

const GiB = 2 ** 30;
const POOL = {
  id: '0b5c2d1e-1111-4000-8000-000000000001',
  name: 'fast-01',
  plugin: 'file',
  zoneId: 'zone-1',
  clusterId: null,
  tags: [],
  config: { path: '/srv/fast' },
  status: 'enabled',
  disabledReason: null,
  maintenance: null,
  hypervisors: [],
  capacityIops: null,
  overProvisioningFactor: 1,
  allocationDisableThreshold: 0.85,
  capacityBytes: 100 * GiB,
  usedBytes: 25 * GiB,
  capacityMeasuredAt: '2026-01-01T00:00:00.000Z',
  allocatedBytes: 0,
  allocatableBytes: 85 * GiB,
  volumeCount: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const JOB_ID = '5a0e3c2b-2222-4000-8000-000000000002';
const job = (status: string, progress: number | null, error: unknown = null) => ({
  id: JOB_ID,
  status,
  commandType: 'DeleteVolume',
  aggregateId: null,
  tenant: null,
  result: null,
  error,
  progress,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

/** Runs the CLI against canned answers (by method and path), capturing what it writes and asks. */
async function cli(argv: string[], answers: Record<string, unknown[]> = {}, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: Request[] = [];
  const served = new Map<string, number>();
  const io: Io = {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { isTTY: false, write: (t: string) => err.push(t) },
    env: { STRATA_API_KEY: 'stk_from_env', ...env },
    fetch: async (request) => {
      requests.push(request);
      const key = `${request.method} ${new URL(request.url).pathname}`;
      const list = answers[key] ?? [[404, { statusCode: 404, code: 'test.unexpected', message: key }]];
      const n = served.get(key) ?? 0;
      served.set(key, n + 1);
      const [status, body] = list[Math.min(n, list.length - 1)] as [number, unknown];
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    },
  };
  const code = await run(argv, io);
  return { code, stdout: out.join(''), stderr: err.join(''), requests };
}

describe('strata', () => {
  it('lists pools as a table with capacity in human units and percent, with the key from the environment', async () => {
    const r = await cli(['pools', 'list'], { 'GET /pools': [[200, { items: [POOL], nextCursor: null }]] });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+PLUGIN\s+ZONE\s+STATUS\s+CAPACITY \(USED \/ TOTAL\)\s+VOLUMES$/);
    expect(lines[1]).toMatch(/fast-01\s+file\s+zone-1\s+enabled\s+25 GiB \/ 100 GiB \(25%\)\s+0$/);
    expect(r.requests[0].headers.get('authorization')).toBe('Bearer stk_from_env');
  });

  it('prints the API answer as JSON with --output json, and a flag beats the environment', async () => {
    const r = await cli(['pools', 'list', '--output', 'json', '--api-key', 'stk_flag', '--url', 'http://other:9'], {
      'GET /pools': [[200, { items: [POOL], nextCursor: null }]],
    });
    expect(JSON.parse(r.stdout)).toEqual({ items: [POOL], nextCursor: null });
    expect(r.requests[0].url).toBe('http://other:9/pools');
    expect(r.requests[0].headers.get('authorization')).toBe('Bearer stk_flag');
  });

  it('asks for one page with --limit and says on stderr where the next one starts', async () => {
    const r = await cli(['pools', 'list', '--limit', '1'], { 'GET /pools': [[200, { items: [POOL], nextCursor: 'c1' }]] });
    expect(r.code).toBe(0);
    expect(new URL(r.requests[0].url).searchParams.get('limit')).toBe('1');
    expect(r.stdout).toContain('fast-01');
    expect(r.stderr).toBe('more: add --cursor c1\n');
  });

  it('lists jobs one page at a time by default', async () => {
    const r = await cli(['jobs', 'list', '--state', 'failed', '-o', 'json'], { 'GET /jobs': [[200, { items: [job('failed', null)], nextCursor: 'n2' }]] });
    expect(new URL(r.requests[0].url).search).toBe('?status=failed&limit=50');
    expect(JSON.parse(r.stdout)).toEqual({ items: [job('failed', null)], nextCursor: 'n2' });
  });

  it('sends a size given in GiB as bytes', async () => {
    const r = await cli(['volumes', 'create', '--name', 'data-01', '--size', '10GiB', '--pool', POOL.id], {
      'POST /volumes': [[202, { jobId: JOB_ID, volumeId: 'v-1' }]],
    });
    expect(r.code).toBe(0);
    expect(await r.requests[0].json()).toEqual({ name: 'data-01', sizeBytes: 10 * GiB, poolId: POOL.id });
    expect(r.stdout).toContain(JOB_ID);
  });

  it('restores a backup to a new volume or over its own, refusing a mix of both', async () => {
    const backupId = '7c1d2e3f-3333-4000-8000-000000000003';
    const answers = { [`POST /backups/${backupId}/restore`]: [[202, { jobId: JOB_ID, restoreId: 'r-1', volumeId: 'v-9' }]] };
    const toNew = await cli(['backups', 'restore', backupId, '--pool', POOL.id, '--name', 'restored'], answers);
    expect(toNew.code).toBe(0);
    expect(await toNew.requests[0].json()).toEqual({ poolId: POOL.id, name: 'restored' });
    const over = await cli(['backups', 'restore', backupId, '--over-original'], answers);
    expect(await over.requests[0].json()).toEqual({ overOriginal: true });
    const mixed = await cli(['backups', 'restore', backupId, '--over-original', '--pool', POOL.id], answers);
    expect(mixed.code).toBe(2);
    expect(mixed.requests).toEqual([]);
  });

  it('backs a volume up to a target and takes a snapshot by name', async () => {
    const volumeId = '9e8d7c6b-4444-4000-8000-000000000004';
    const r = await cli(['backups', 'create', volumeId, '--target', 't-1', '--full'], {
      [`POST /volumes/${volumeId}/backups`]: [[202, { jobId: JOB_ID, backupId: 'b-1' }]],
    });
    expect(await r.requests[0].json()).toEqual({ targetId: 't-1', full: true });
    const s = await cli(['snapshots', 'create', volumeId, '--name', 'before-upgrade', '-o', 'json'], {
      [`POST /volumes/${volumeId}/snapshots`]: [[202, { jobId: JOB_ID, snapshotId: 's-1' }]],
    });
    expect(await s.requests[0].json()).toEqual({ name: 'before-upgrade' });
    expect(JSON.parse(s.stdout)).toEqual({ jobId: JOB_ID, snapshotId: 's-1' });
  });

  it('prints an API refusal with its code and violations, exit code 1', async () => {
    const r = await cli(['volumes', 'create', '--name', '-bad', '--size', '1GiB', '--zone', 'zone-1'], {
      'POST /volumes': [[400, { statusCode: 400, code: 'request.invalid', message: 'the request breaks 1 rule', violations: [{ field: 'name', rule: 'matches', message: 'm' }] }]],
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error request.invalid: the request breaks 1 rule\n  name: matches\n');
  });

  it('exits 2 on a usage error, asking the API nothing', async () => {
    const noPlace = await cli(['volumes', 'create', '--name', 'v', '--size', '1GiB']);
    expect(noPlace.code).toBe(2);
    expect(noPlace.stderr).toContain('give --pool <poolId> or --zone <zoneId>');
    const badSize = await cli(['volumes', 'resize', POOL.id, '--size', 'big']);
    expect(badSize.code).toBe(2);
    const badOutput = await cli(['pools', 'list', '--output', 'yaml']);
    expect(badOutput.code).toBe(2);
    expect([...noPlace.requests, ...badSize.requests, ...badOutput.requests]).toEqual([]);
  });

  it('follows a job with plain progress lines off a terminal and exits 1 with the job error when it fails', async () => {
    const failure = { code: 'volume.has_snapshots', category: 'conflict', message: 'the volume has snapshots', violations: [] };
    const r = await cli(['jobs', 'wait', JOB_ID], { [`GET /jobs/${JOB_ID}`]: [[200, job('running', 20)], [200, job('failed', 20, failure)]] });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`job ${JOB_ID}: running 20%\njob ${JOB_ID}: failed 20%\nerror volume.has_snapshots: the volume has snapshots\n`);
  });

  it('exits 0 when the waited job succeeds', async () => {
    const r = await cli(['jobs', 'wait', JOB_ID, '-o', 'json'], { [`GET /jobs/${JOB_ID}`]: [[200, job('succeeded', null)]] });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: JOB_ID, status: 'succeeded' });
  });

  it('never prints the API key, not even in help', async () => {
    const help = await cli(['--help'], {}, { STRATA_API_KEY: 'stk_do_not_show' });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('STRATA_API_KEY');
    expect(help.stdout).not.toContain('stk_do_not_show');
    const denied = await cli(['pools', 'list', '--api-key', 'stk_do_not_show'], {
      'GET /pools': [[401, { statusCode: 401, code: 'auth.invalid_key', message: 'the API key is missing, unknown or revoked' }]],
    });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe('error auth.invalid_key: the API key is missing, unknown or revoked\n');
    expect(denied.stdout + denied.stderr).not.toContain('stk_do_not_show');
  });
});
