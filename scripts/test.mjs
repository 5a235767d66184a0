#!/usr/bin/env node
// The test command: `npm test` runs everything CI runs, in this order:
//   build (tsc, strict, every project) -> lint -> unit -> [infra up] -> int -> e2e
// `npm test -- unit|int|e2e [path...]` runs one tier. Prints one closing line:
//   "Tests: N passed, N failed, N skipped"
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ensureInfra, stopInfra, REPO_ROOT } from './lib/infra.mjs';

const TIERS = ['unit', 'int', 'e2e'];
const [only, ...paths] = process.argv.slice(2);
if (only && !TIERS.includes(only)) {
  console.error(`usage: node scripts/test.mjs [${TIERS.join('|')}] [test path...]`);
  process.exit(2);
}
const resultsDir = path.join(REPO_ROOT, '.strata', 'test-results');
const bin = (name) => path.join(REPO_ROOT, 'node_modules', '.bin', name);
// Node 24 from the node@24 devDependency, even when this script was started by an older node.
const NODE = path.join(REPO_ROOT, 'node_modules', '.bin', 'node');
const totals = { passed: 0, failed: 0, skipped: 0 };
const timings = [];
// CI proves the build from scratch: no outputs restored from Nx's cache.
const nxBuild = ['run-many', '-t', 'build', '--outputStyle=static', ...(process.env.CI ? ['--skipNxCache'] : [])];

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function step(name, work) {
  const started = Date.now();
  console.log(`\n=== ${name} ===`);
  const ok = await work();
  timings.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s${ok ? '' : ' (FAILED)'}`);
  return ok;
}

async function jest(tier) {
  const outputFile = path.join(resultsDir, `${tier}.json`);
  await mkdir(resultsDir, { recursive: true });
  await rm(outputFile, { force: true });
  const code = await run(
    NODE,
    [
      path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--selectProjects',
      tier,
      '--json',
      `--outputFile=${outputFile}`,
      ...(tier === 'unit' ? [] : ['--runInBand']),
      ...paths,
    ],
    { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning`.trim() },
  );
  try {
    const report = JSON.parse(await readFile(outputFile, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
    totals.skipped += report.numPendingTests + report.numTodoTests;
    if (report.numTotalTests === 0) {
      console.error(`${tier}: no tests ran`);
      return false;
    }
  } catch {
    totals.failed += 1; // jest died before writing its report
    return false;
  }
  return code === 0;
}

let ok = true;
let started = { startedKafka: false, startedPostgres: false };
await mkdir(resultsDir, { recursive: true });
try {
  if (!only) {
    ok = (await step('build', async () => (await run(bin('nx'), nxBuild)) === 0)) && ok;
    ok = (await step('lint', async () => (await run(bin('eslint'), ['.'])) === 0)) && ok;
  }
  for (const tier of TIERS) {
    if (only && tier !== only) continue;
    if (tier !== 'unit' && !process.env.STRATA_INFRA_READY) {
      const infra = await ensureInfra();
      started = infra;
      process.env.DATABASE_URL = infra.databaseUrl;
      process.env.KAFKA_BROKERS = infra.kafkaBrokers;
      process.env.STRATA_INFRA_READY = '1';
    }
    if (tier === 'e2e' && only) {
      // e2e runs the services from dist: make sure it is current.
      ok = (await step('build', async () => (await run(bin('nx'), nxBuild)) === 0)) && ok;
    }
    ok = (await step(`${tier} tests`, () => jest(tier))) && ok;
  }
} catch (error) {
  console.error(`\n${error.message}`);
  ok = false;
  totals.failed += 1;
} finally {
  if (!process.env.STRATA_KEEP_INFRA && (started.startedKafka || started.startedPostgres)) {
    await stopInfra({ kafka: started.startedKafka, postgres: started.startedPostgres }).catch((e) =>
      console.error(`could not stop infrastructure: ${e.message}`),
    );
  }
}
console.log(`\n${timings.join('\n')}`);
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
