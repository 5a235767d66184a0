import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

const REPO = path.join(__dirname, '..', '..');
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');
const FAULTS_MAIN = path.join(REPO, 'faults', 'dist', 'main.js');

/**
 * The fault run's short form (docs/fault-tests.md), built (faults/dist) and run as `npm run
 * faults -- --quick` would: every service killed at seeded moments, the broker and the database
 * restarted, backend faults injected, every command delivered twice; it exits 0 only when every
 * invariant held. STRATA_FAULTS_SEED repeats a run's plan.
 */
describe('the fault run, short form', () => {
  it('keeps every invariant through kills, restarts and backend faults', async () => {
    const seed = process.env.STRATA_FAULTS_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
    const logDir = path.join(REPO, '.strata', 'logs');
    await mkdir(logDir, { recursive: true });
    const logFile = path.join(logDir, `fault-run-${seed}.log`);
    const out = createWriteStream(logFile);
    let output = '';
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(NODE, [FAULTS_MAIN, '--quick', '--seed', seed], {
        cwd: REPO,
        env: { ...process.env, STRATA_FAULTS_PORT_BASE: '18580' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      for (const s of [child.stdout, child.stderr]) {
        s.on('data', (d: Buffer) => {
          output += d.toString('utf8');
          out.write(d);
        });
      }
      child.on('close', (c) => resolve(c));
    });
    out.end();
    const violations = output.split('\n').filter((l) => l.includes('<-- VIOLATION'));
    // The whole table goes to the report when anything broke; the log file keeps it either way.
    if (code !== 0) console.log(`fault run, seed ${seed} (log ${logFile}):\n${output.slice(-12_000)}`);
    expect({ code, violations }).toEqual({ code: 0, violations: [] });
    expect(output).toContain('fault run: no violation');
    // It must have done what it says: faults applied and commands carried out.
    const value = (name: string) => new RegExp(`^${name.replace(/[()/]/g, '\\$&')}\\s+(\\d+)`, 'm').exec(output)?.[1];
    expect(Number(value('service SIGKILLs (and restarts)'))).toBeGreaterThan(0);
    expect(Number(value('Kafka restarts'))).toBeGreaterThan(0);
    expect(Number(value('PostgreSQL restarts'))).toBeGreaterThan(0);
    expect(Number(value('backend faults injected'))).toBeGreaterThan(0);
    expect(Number(value('accepted (an outcome other than CommandRejected)'))).toBeGreaterThan(0);
  }, 900_000);
});
