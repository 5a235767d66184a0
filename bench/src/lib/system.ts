import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createTestInfra, eventually, infraEnv, type TestInfra } from '@strata/testing';

export interface RunningService {
  name: string;
  url: string;
  port: number;
  logFile: string;
  exited: { code: number | null; signal: string | null } | null;
}
interface ServicesModule {
  startServices(options: { env: Record<string, string>; logDir: string; only?: string[] }): Promise<RunningService[]>;
  stopServices(running: RunningService[]): Promise<void>;
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The infrastructure `npm run infra:up` (or `npm test`) left running: .strata/env, unless the shell already says. */
export function loadInfraEnv(): void {
  const file = path.join(REPO_ROOT, '.strata', 'env');
  if (!process.env.DATABASE_URL && existsSync(file)) process.loadEnvFile(file);
  if (!process.env.DATABASE_URL || !process.env.KAFKA_BROKERS) {
    throw new Error('DATABASE_URL and KAFKA_BROKERS are not set and .strata/env is missing: run `npm run infra:up` first');
  }
}

export interface System {
  readonly infra: TestInfra;
  readonly services: RunningService[];
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Some of the services as processes, the way the e2e tests start them (scripts/lib/services.mjs),
 * on a database and topic prefix of their own. `portBase` keeps them away from `npm start`'s ports.
 */
export async function startSystem(options: { label: string; only: string[]; portBase: number; env?: Record<string, string> }): Promise<System> {
  const infra = await createTestInfra(`bench${options.label}`);
  const lib = (await import(path.join(REPO_ROOT, 'scripts', 'lib', 'services.mjs'))) as ServicesModule;
  const env: Record<string, string> = {
    ...infraEnv(infra),
    ORCHESTRATOR_PORT: String(options.portBase),
    STORAGE_SERVICE_PORT: String(options.portBase + 1),
    SNAPSHOT_SERVICE_PORT: String(options.portBase + 2),
    BACKUP_SERVICE_PORT: String(options.portBase + 3),
    IMAGE_SERVICE_PORT: String(options.portBase + 4),
    ...(options.env ?? {}),
  };
  let services: RunningService[] = [];
  try {
    services = await lib.startServices({
      env,
      logDir: path.join(REPO_ROOT, '.strata', 'logs', `bench-${options.label}-${infra.topicPrefix.replace(/\W/g, '')}`),
      only: options.only,
    });
  } catch (error) {
    await infra.dispose();
    throw error;
  }
  return {
    infra,
    services,
    env,
    async stop() {
      await lib.stopServices(services);
      await infra.dispose();
    },
  };
}

export interface Simulator {
  readonly child: ChildProcess;
  readonly port: number;
  readonly devicePath: string;
  stop(): Promise<void>;
}

/** The StorPool API simulator as its own process, as `npm run sim:storpool -- --port 0 --data-dir DIR` runs it. */
export async function startStorPool(dataDir: string, token: string): Promise<Simulator> {
  const main = path.join(REPO_ROOT, 'libs', 'backends', 'dist', 'storpool', 'simulator', 'main.js');
  const child = spawn(process.execPath, [main, '--port', '0', '--data-dir', dataDir, '--token', token], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const started = await eventually('the StorPool simulator to print its URL and device path', async () => {
    if (child.exitCode !== null) throw new Error(`simulator exited: ${err}`);
    const url = /^(http:\/\/\S+)$/m.exec(out)?.[1];
    const devicePath = /devicePath (\S+);/.exec(err)?.[1];
    return url && devicePath ? { url, devicePath } : undefined;
  });
  return {
    child,
    port: Number(new URL(started.url).port),
    devicePath: started.devicePath,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
