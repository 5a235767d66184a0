import path from 'node:path';
import type { ServiceName } from './options';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

interface RunningService {
  name: string;
  url: string;
  logFile: string;
  child: { kill(signal: NodeJS.Signals): boolean; exitCode: number | null; once(e: 'exit', f: () => void): void };
  exited: { code: number | null; signal: string | null } | null;
}
interface ServicesModule {
  startServices(options: { env: Record<string, string>; logDir: string; only: string[]; timeoutMs?: number }): Promise<RunningService[]>;
  stopServices(running: RunningService[]): Promise<void>;
}

/**
 * Ports apart from `npm start`'s (8080-8084), so a run can go on beside a running system;
 * STRATA_FAULTS_PORT_BASE moves them (two runs at once).
 */
export const PORT_BASE = Number(process.env.STRATA_FAULTS_PORT_BASE ?? 19280);
export const PORTS: Record<ServiceName, number> = {
  orchestrator: PORT_BASE,
  'storage-service': PORT_BASE + 1,
  'snapshot-service': PORT_BASE + 2,
  'backup-service': PORT_BASE + 3,
  'image-service': PORT_BASE + 4,
};

/**
 * The services as processes, started the way `npm start` and the e2e tests start them
 * (scripts/lib/services.mjs), each one killed and started again on its own.
 */
export class Services {
  private readonly running = new Map<ServiceName, RunningService>();
  private lib: ServicesModule | undefined;
  /** Restarts so far, and how long each service was away (kill to /health). */
  readonly restarts: { service: ServiceName; downMs: number }[] = [];

  constructor(
    private readonly env: Record<string, string>,
    readonly logDir: string,
  ) {}

  url(name: ServiceName): string {
    return `http://127.0.0.1:${PORTS[name]}`;
  }

  async start(names: readonly ServiceName[]): Promise<void> {
    this.lib ??= (await import(path.join(REPO_ROOT, 'scripts', 'lib', 'services.mjs'))) as ServicesModule;
    // Started together: the image and backup services wait for topics the others create.
    const started = await this.lib.startServices({ env: this.env, logDir: this.logDir, only: [...names], timeoutMs: 180_000 });
    for (const s of started) this.running.set(s.name as ServiceName, s);
  }

  /** SIGKILL, down for `downMs`, started again; resolves once its /health answers. */
  async kill(name: ServiceName, downMs: number): Promise<number> {
    const t0 = Date.now();
    const svc = this.running.get(name);
    if (svc && !svc.exited && svc.child.exitCode === null) {
      const gone = new Promise<void>((r) => svc.child.once('exit', () => r()));
      svc.child.kill('SIGKILL');
      await gone;
    }
    this.running.delete(name);
    await new Promise((r) => setTimeout(r, downMs));
    await this.start([name]);
    const away = Date.now() - t0;
    this.restarts.push({ service: name, downMs: away });
    return away;
  }

  /** Services that exited on their own (not killed by the run): each is a finding. */
  exitedOnTheirOwn(): string[] {
    return [...this.running.values()].filter((s) => s.exited !== null).map((s) => `${s.name} (${s.exited?.signal ?? `code ${s.exited?.code}`})`);
  }

  async stop(): Promise<void> {
    if (this.lib) await this.lib.stopServices([...this.running.values()]);
    this.running.clear();
  }
}
