#!/usr/bin/env node
// `npm start`: the whole system on this machine. PostgreSQL and Kafka (found or started),
// a build, the five services (each migrates its own schema on start), then the URLs.
// Ctrl-C stops the services, then whatever infrastructure this command started.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ensureInfra, stopInfra, strataHome, REPO_ROOT } from './lib/infra.mjs';
import { startServices, stopServices } from './lib/services.mjs';

const started = Date.now();

/** Made once and kept: it is part of every backend name, so it must never change. */
function installationId() {
  if (process.env.STRATA_INSTALLATION_ID) return process.env.STRATA_INSTALLATION_ID;
  const file = path.join(strataHome(), 'installation-id');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(8).toString('hex').replace(/[^a-z0-9]/g, '').slice(0, 4)}\n`);
  return readFileSync(file, 'utf8').trim();
}

/**
 * The key that seals pool credentials at rest: STRATA_SECRET_KEY when given, else one made
 * on first start and kept in .strata/secret-key (mode 0600). Losing it loses the stored
 * credentials, so back it up with the database.
 */
function secretKey() {
  if (process.env.STRATA_SECRET_KEY) return process.env.STRATA_SECRET_KEY;
  const file = path.join(strataHome(), 'secret-key');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/**
 * The orchestrator's first admin API key (STRATA_BOOTSTRAP_ADMIN_KEY): the variable when
 * set, else one made on first start (stk_ and 32 random bytes, base64url) and kept in
 * .strata/admin-key (mode 0600), so the same key works after every restart.
 */
function adminKey() {
  if (process.env.STRATA_BOOTSTRAP_ADMIN_KEY) return process.env.STRATA_BOOTSTRAP_ADMIN_KEY;
  const file = path.join(strataHome(), 'admin-key');
  if (!existsSync(file)) writeFileSync(file, `stk_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}
const infra = await ensureInfra();
console.log('building...');
const build = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'nx'), ['run-many', '-t', 'build', '--outputStyle=static'], {
  cwd: REPO_ROOT,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (build.status !== 0) {
  console.error('build failed: run `npm run build` to see why');
  await shutdownInfra();
  process.exit(1);
}

let services = [];
let stopping = false;
async function shutdownInfra() {
  if (process.env.STRATA_KEEP_INFRA) return;
  if (infra.startedKafka || infra.startedPostgres) {
    console.log('stopping the infrastructure this command started...');
    await stopInfra({ kafka: infra.startedKafka, postgres: infra.startedPostgres });
  }
}
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping services...');
  await stopServices(services);
  await shutdownInfra();
  console.log('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  services = await startServices({
    env: {
      DATABASE_URL: infra.databaseUrl,
      KAFKA_BROKERS: infra.kafkaBrokers,
      STRATA_SECRET_KEY: secretKey(),
      STRATA_INSTALLATION_ID: installationId(),
      STRATA_BOOTSTRAP_ADMIN_KEY: adminKey(),
      STRATA_LOG_FORMAT: process.env.STRATA_LOG_FORMAT ?? 'text',
    },
    echo: process.env.STRATA_QUIET !== '1',
    // `npm start -- --rebuild-read-models`: the orchestrator rebuilds its read models before it serves.
    args: { orchestrator: process.argv.slice(2).filter((a) => a === '--rebuild-read-models') },
  });
} catch (error) {
  console.error(error.message);
  await shutdownInfra();
  process.exit(1);
}
for (const svc of services) {
  svc.child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${svc.name} stopped unexpectedly (${signal ?? `code ${code}`}); see ${svc.logFile}`);
      void shutdown(1);
    }
  });
}
const api = services.find((s) => s.name === 'orchestrator');
console.log(`
Strata is running (started in ${((Date.now() - started) / 1000).toFixed(1)} s).
  REST API       ${api.url}
  API docs       ${api.url}/docs
  Health         ${services.map((s) => `${s.name} ${s.url}/health`).join('\n                 ')}
  PostgreSQL     ${infra.databaseUrl.replace(/:[^:@/]+@/, ':***@')}
  Kafka          ${infra.kafkaBrokers}
  Logs           .strata/logs/
  Admin API key  .strata/admin-key; for the curl examples:
                 export STRATA_API_KEY=${adminKey()}
Press Ctrl-C to stop.`);
