/**
 * Named points where a fault test may kill the process on purpose (SIGKILL: no cleanup,
 * no flush), to prove that recovery finishes what a crash interrupts. Active only when
 * STRATA_CRASH_POINTS names the point (comma-separated); never set in production.
 */
export function crashPoint(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const points = env.STRATA_CRASH_POINTS;
  if (!points) return;
  if (points.split(',').map((p) => p.trim()).includes(name)) {
    process.stderr.write(`crash point ${name}: killing process ${process.pid}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
