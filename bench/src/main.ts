import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { controlPlane } from './benches/control-plane';
import { dataPath } from './benches/data-path';
import { eventStore } from './benches/event-store';
import { readSide } from './benches/read-side';
import type { Bench, BenchResult } from './lib/context';
import { machineInfo } from './lib/machine';
import { printResult, tableLines } from './lib/report';
import { REPO_ROOT, loadInfraEnv } from './lib/system';

/**
 * `npm run bench [-- <name>...] [--quick]`: runs the benches in order, prints each one's
 * table (figure, raw baseline, ratio) and writes bench/results/<iso-date>.json and
 * latest.json. Figures are reported, never asserted; the exit code is non-zero only when
 * a bench could not run (or ran incompletely), saying why.
 */
const BENCHES: Bench[] = [controlPlane, eventStore, readSide, dataPath];

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`usage: npm run bench [-- [--quick] [name...]]\n${BENCHES.map((b) => `  ${b.name.padEnd(14)} ${b.summary}`).join('\n')}`);
    return 0;
  }
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) {
    console.error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const selected = names.length ? BENCHES.filter((b) => names.includes(b.name)) : BENCHES;
  loadInfraEnv();
  const startedAt = new Date();
  const machine = await machineInfo(REPO_ROOT, process.env.DATABASE_URL);
  console.log(`bench ${quick ? '(quick) ' : ''}on ${machine.cpuModel}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${machine.kernel}, node ${machine.node}, PostgreSQL ${machine.postgres}, Kafka ${machine.kafka}, load average ${machine.loadAverage.join(" / ")}`);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'strata-bench-'));
  const results: BenchResult[] = [];
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  // Written after every bench, so a run stopped half-way keeps what it measured.
  const save = async (done: BenchResult[]): Promise<string> => {
    const report = { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), quick, machine, benches: done };
    const json = `${JSON.stringify(report, null, 2)}\n`;
    await writeFile(file, json);
    await writeFile(path.join(dir, 'latest.json'), json);
    await writeFile(path.join(dir, 'latest.md'), markdown(report));
    return file;
  };
  try {
    for (const bench of selected) {
      const began = Date.now();
      const ctx = { quick, repoRoot: REPO_ROOT, workDir: path.join(workDir, bench.name), log: (m: string) => console.log(`[${bench.name}] ${m}`) };
      await mkdir(ctx.workDir, { recursive: true });
      let result: BenchResult;
      try {
        const r = await bench.run(ctx);
        result = { name: bench.name, startedAt: new Date(began).toISOString(), seconds: (Date.now() - began) / 1000, ...r };
      } catch (error) {
        result = {
          name: bench.name,
          status: 'failed',
          startedAt: new Date(began).toISOString(),
          seconds: (Date.now() - began) / 1000,
          rows: [],
          skipped: [],
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        };
      }
      result = { ...result, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) };
      printResult(result);
      results.push(result);
      await save(results);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  await save(results);
  console.log(`\nresults: ${path.relative(REPO_ROOT, file)} (and bench/results/latest.json)`);
  const bad = results.filter((r) => r.status !== 'ok');
  for (const r of bad) console.error(`${r.name}: ${r.status}${r.error ? `: ${r.error.split('\n')[0]}` : ''}`);
  return bad.length ? 1 : 0;
}

/** The run as the tables docs/performance.md shows. */
function markdown(report: { startedAt: string; quick: boolean; machine: Awaited<ReturnType<typeof machineInfo>>; benches: BenchResult[] }): string {
  const m = report.machine;
  const disks = m.disks.map((d) => `${d.path} ${d.type ?? '?'} (${(d.sizeBytes / 2 ** 30).toFixed(0)} GiB, ${(d.freeBytes / 2 ** 30).toFixed(0)} GiB free)`).join('; ');
  const out = [
    `Run ${report.startedAt} (${report.quick ? '--quick' : 'full'}): ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, ${m.kernel}, node ${m.node}, PostgreSQL ${m.postgres}, Kafka ${m.kafka}, ${m.qemuImg ?? 'no qemu-img'}; disks: ${disks}; load average at start ${m.loadAverage.join(' / ')}.`,
    '',
  ];
  for (const b of report.benches) {
    out.push(`### ${b.name} (${b.status}, ${b.seconds.toFixed(0)} s${b.loadAverageAtEnd ? `, load average at its end ${b.loadAverageAtEnd.join(' / ')}` : ''})`, '', ...tableLines(b, true), '');
    for (const s of b.skipped) out.push(`- not measured: ${s}`);
    if (b.error) out.push(`- error: ${b.error.split('\n')[0]}`);
    out.push('');
  }
  return out.join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
