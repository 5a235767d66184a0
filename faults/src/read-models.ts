import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { log, type CheckResult, type Row } from './report';
import { REPO_ROOT } from './services';

/** What the orchestrator's read-model-dump module exports (the run loads it from the orchestrator's dist, see below). */
interface DumpModule {
  dumpReadModels(query: (sql: string) => Promise<readonly Record<string, unknown>[]>): Promise<Record<string, Map<string, string>>>;
  compareReadModelDumps(
    first: Record<string, Map<string, string>>,
    second: Record<string, Map<string, string>>,
  ): { table: string; onlyInFirst: string[]; onlyInSecond: string[]; differing: { key: string; first: string; second: string }[] }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The orchestrator's read models against a rebuild from the event topics: once the projection
 * has caught up, every topic-derived table (and the jobs) is dumped, POST /read-models/rebuild
 * replays the topics into emptied tables, and the dump after must equal the one before.
 */
export async function checkReadModels(deps: {
  readonly orchestratorUrl: string;
  readonly adminKey: string;
  /** The orchestrator's database (its read models are in the orchestrator schema). */
  readonly databaseUrl: string;
  readonly timeoutMs?: number;
}): Promise<CheckResult> {
  const timeoutMs = deps.timeoutMs ?? 180_000;
  // The dump is the orchestrator's own (its table list is the running build's): loaded from the
  // dist the run starts the orchestrator from, as the fault run may not import an app's code.
  const file = path.join(REPO_ROOT, 'apps', 'orchestrator', 'dist', 'read-models', 'infrastructure', 'read-model-dump.js');
  const loaded = (await import(pathToFileURL(file).href)) as Partial<DumpModule> & { default?: DumpModule };
  const dumps: DumpModule = loaded.dumpReadModels ? (loaded as DumpModule) : loaded.default!;

  const api = async (method: 'GET' | 'POST', route: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${deps.orchestratorUrl}${route}`, { method, headers: { authorization: `Bearer ${deps.adminKey}` } });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  /** Until the projection's lag is 0 twice in a row, a cache period apart (GET /read-models caches it 2 s). */
  const caughtUp = async (): Promise<{ ok: boolean; last: unknown }> => {
    const end = Date.now() + timeoutMs;
    let zeros = 0;
    let last: unknown;
    while (Date.now() < end) {
      const res = await api('GET', '/read-models').catch((e: unknown) => ({ status: 0, body: { error: String(e) } as Record<string, unknown> }));
      last = res.status === 200 ? res.body.lagMessages : res.body;
      zeros = res.status === 200 && res.body.state === 'live' && res.body.lagMessages === 0 ? zeros + 1 : 0;
      if (zeros >= 2) return { ok: true, last };
      await sleep(2500);
    }
    return { ok: false, last };
  };

  const db = new Client({ connectionString: deps.databaseUrl });
  await db.connect();
  const dump = () => dumps.dumpReadModels(async (sql) => (await db.query(sql)).rows as Record<string, unknown>[]);
  try {
    const t0 = Date.now();
    const before = await caughtUp();
    log(`read models: projection ${before.ok ? `caught up after ${Date.now() - t0} ms` : `not caught up (lag ${JSON.stringify(before.last)})`}; dumping, then rebuilding`);
    const live = await dump();
    const started = await api('POST', '/read-models/rebuild');
    const jobId = typeof started.body.jobId === 'string' ? started.body.jobId : undefined;
    let job: Record<string, unknown> = { status: `not started: ${started.status} ${JSON.stringify(started.body).slice(0, 200)}` };
    if (jobId) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const res = await api('GET', `/jobs/${jobId}`).catch(() => undefined);
        if (res?.status === 200) job = res.body;
        if (job.status === 'succeeded' || job.status === 'failed' || Date.now() > end) break;
        await sleep(1000);
      }
    }
    const after = await caughtUp();
    const rebuilt = await dump();
    // The rebuild's own job row is the one row the rebuild adds by design.
    if (jobId) for (const [key, row] of rebuilt.jobs ?? []) if (row.includes(jobId)) rebuilt.jobs!.delete(key);
    const differences = dumps.compareReadModelDumps(live, rebuilt);
    const count = (d: Record<string, Map<string, string>>) => Object.values(d).reduce((n, rows) => n + rows.size, 0);
    const onlyLive = differences.reduce((n, d) => n + d.onlyInFirst.length, 0);
    const onlyRebuilt = differences.reduce((n, d) => n + d.onlyInSecond.length, 0);
    const differing = differences.reduce((n, d) => n + d.differing.length, 0);
    const samples: string[] = [];
    for (const d of differences) {
      for (const k of d.onlyInFirst.slice(0, 2)) samples.push(`${d.table} ${k} only in the live read model: ${live[d.table]!.get(k)!.slice(0, 400)}`);
      for (const k of d.onlyInSecond.slice(0, 2)) samples.push(`${d.table} ${k} only after the rebuild: ${rebuilt[d.table]!.get(k)!.slice(0, 400)}`);
      for (const x of d.differing.slice(0, 2)) samples.push(`${d.table} ${x.key} differs:\n      live    ${x.first.slice(0, 600)}\n      rebuilt ${x.second.slice(0, 600)}`);
    }
    const byTable = Object.fromEntries(differences.map((d) => [d.table, d.onlyInFirst.length + d.onlyInSecond.length + d.differing.length]));
    const rows: Row[] = [
      { name: 'projection caught up before the dump (lag 0)', value: before.ok ? 'yes' : `no (lag ${JSON.stringify(before.last)})`, violation: !before.ok },
      { name: 'rebuild job', value: `${String(job.status)}${job.error ? ` ${JSON.stringify(job.error).slice(0, 120)}` : ''}`, violation: job.status !== 'succeeded' },
      { name: 'projection caught up after the rebuild (lag 0)', value: after.ok ? 'yes' : `no (lag ${JSON.stringify(after.last)})`, violation: !after.ok },
      { name: 'tables compared (topic-derived, and jobs)', value: Object.keys(live).length },
      { name: 'rows live / rebuilt', value: `${count(live)} / ${count(rebuilt)}` },
      { name: 'rows only in the live read models', value: onlyLive, violation: onlyLive > 0 },
      { name: 'rows only in the rebuilt read models', value: onlyRebuilt, violation: onlyRebuilt > 0 },
      { name: 'rows that differ after the rebuild', value: differing, violation: differing > 0 },
      { name: 'differences by table', value: JSON.stringify(byTable) },
    ];
    return { title: 'orchestrator read models against a rebuild from the topics', rows, samples };
  } finally {
    await db.end();
  }
}
