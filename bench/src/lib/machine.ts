import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  postgres: string | null;
  kafka: string | null;
  disks: { path: string; type: string | null; sizeBytes: number; freeBytes: number }[];
  qemuImg: string | null;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews every figure. */
  loadAverage: number[];
}

const run = (cmd: string, args: string[]): string | null => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};

function fsType(dir: string): string | null {
  return run('stat', ['-f', '-c', '%T', dir]);
}

/** The broker version from the jar set scripts/kafka-local.sh resolved (lib-<version>), when Kafka runs from there. */
function kafkaVersion(repoRoot: string): string | null {
  try {
    const libs = readdirSync(path.join(repoRoot, '.strata', 'kafka')).filter((d) => d.startsWith('lib-'));
    return libs.length ? libs.map((d) => d.slice(4)).join(', ') : null;
  } catch {
    return null;
  }
}

export async function machineInfo(repoRoot: string, databaseUrl: string | undefined): Promise<MachineInfo> {
  let postgres: string | null = null;
  if (databaseUrl) {
    const c = new Client({ connectionString: databaseUrl });
    try {
      await c.connect();
      postgres = (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? null;
    } catch {
      postgres = null;
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  const disks = [repoRoot, os.tmpdir(), '/dev/shm'].map((p) => {
    try {
      const s = statfsSync(p);
      return { path: p, type: fsType(p), sizeBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    } catch {
      return { path: p, type: null, sizeBytes: 0, freeBytes: 0 };
    }
  });
  const cpuModel = os.cpus()[0]?.model ?? readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown';
  return {
    cpuModel,
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres,
    kafka: kafkaVersion(repoRoot),
    disks,
    qemuImg: run('qemu-img', ['--version'])?.split('\n')[0] ?? null,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
