// Starting and stopping Strata's five services as child processes (used by `npm start`
// and by the end-to-end tests, so both run the system the same way).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, strataHome } from './infra.mjs';

export const SERVICES = [
  { name: 'orchestrator', port: 8080 },
  { name: 'storage-service', port: 8081 },
  { name: 'snapshot-service', port: 8082 },
  { name: 'backup-service', port: 8083 },
  { name: 'image-service', port: 8084 },
];

const NODE = path.join(REPO_ROOT, 'node_modules', '.bin', 'node');

export function portVar(name) {
  return `${name.toUpperCase().replace(/-/g, '_')}_PORT`;
}

/**
 * Spawns every service with `env`, each logging to <logDir>/<name>.log (and to this
 * terminal when `echo` is set). Resolves once every /health answers, or rejects naming the
 * service that exited or did not answer, with its log file.
 */
export async function startServices({ env, logDir = path.join(strataHome(), 'logs'), echo = false, timeoutMs = 90_000, only, args = {} } = {}) {
  await mkdir(logDir, { recursive: true });
  const running = [];
  for (const svc of SERVICES.filter((s) => !only || only.includes(s.name))) {
    const port = Number(env[portVar(svc.name)] ?? svc.port);
    const logFile = path.join(logDir, `${svc.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(NODE, [path.join(REPO_ROOT, 'apps', svc.name, 'dist', 'main.js'), ...(args[svc.name] ?? [])], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, [portVar(svc.name)]: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.pipe(log, { end: false });
      if (echo) stream.on('data', (d) => process.stdout.write(prefixLines(svc.name, d)));
    }
    const entry = { ...svc, port, child, logFile, url: `http://127.0.0.1:${port}`, exited: null };
    child.on('exit', (code, signal) => (entry.exited = { code, signal }));
    running.push(entry);
  }
  try {
    await Promise.all(running.map((s) => waitForHealth(s, timeoutMs)));
  } catch (error) {
    await stopServices(running);
    throw error;
  }
  return running;
}

function prefixLines(name, data) {
  return data
    .toString()
    .split('\n')
    .filter((l) => l.length)
    .map((l) => `[${name}] ${l}\n`)
    .join('');
}

async function waitForHealth(svc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (svc.exited) {
      throw new Error(`${svc.name} exited (${svc.exited.signal ?? `code ${svc.exited.code}`}) before it answered /health; see ${svc.logFile}`);
    }
    try {
      const res = await fetch(`${svc.url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${svc.name} did not answer ${svc.url}/health within ${timeoutMs / 1000} s; see ${svc.logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** SIGTERM to each (Nest closes consumers, relay and pools), SIGKILL after 15 s. */
export async function stopServices(running, signal = 'SIGTERM') {
  await Promise.all(
    running.map(
      (svc) =>
        new Promise((resolve) => {
          if (svc.exited || svc.child.exitCode !== null) return resolve();
          const timer = setTimeout(() => svc.child.kill('SIGKILL'), 15_000);
          svc.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          svc.child.kill(signal);
        }),
    ),
  );
}
