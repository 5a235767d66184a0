// Support for saga-crash.e2e.spec.ts (not a test: the e2e tier runs *.e2e.spec.ts only).
// The services as processes (scripts/lib/services.mjs, as the other e2e specs start them),
// the REST client with the bootstrap admin key, and what the file pools hold.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '@strata/testing';

export const REPO = path.join(__dirname, '..', '..', '..');
const MiB = 2 ** 20;

export interface RunningService {
  name: string;
  url: string;
  exited: { code: number | null; signal: string | null } | null;
}
export interface ServicesModule {
  startServices(options: { env: Record<string, string>; logDir: string; only?: string[] }): Promise<RunningService[]>;
  stopServices(running: RunningService[]): Promise<void>;
}

export async function servicesModule(): Promise<ServicesModule> {
  return (await import(path.join(REPO, 'scripts', 'lib', 'services.mjs'))) as ServicesModule;
}

/** A fresh key in the contract's format (`stk_` + 43 base64url characters of 32 random bytes), for STRATA_BOOTSTRAP_ADMIN_KEY. */
export function freshAdminKey(): string {
  return `stk_${randomBytes(32).toString('base64url')}`;
}

export interface HttpAnswer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** The orchestrator's REST API as an admin (Authorization: Bearer <key>). */
export class Api {
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}

  async call(method: string, url: string, body?: unknown): Promise<HttpAnswer> {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** The job once it ended (succeeded or failed). */
  jobDone(jobId: string, timeoutMs = 120_000): Promise<{ status: string; error?: { code: string }; result?: unknown }> {
    return eventually(
      `job ${jobId} to finish`,
      async () => {
        const { status, body } = await this.call('GET', `/jobs/${jobId}`);
        return status === 200 && (body.status === 'succeeded' || body.status === 'failed') ? body : undefined;
      },
      timeoutMs,
    );
  }

  /** Accepted (202) and its job succeeded; answers the 202's body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async succeeded(answer: HttpAnswer): Promise<any> {
    if (answer.status !== 202) throw new Error(`expected 202, got ${answer.status}: ${JSON.stringify(answer.body)}`);
    const job = await this.jobDone(answer.body.jobId);
    if (job.status !== 'succeeded') throw new Error(`job ${answer.body.jobId} failed: ${JSON.stringify(job.error)}`);
    return answer.body;
  }

  /** A resource once GET answers it with one of the statuses. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  settled(url: string, statuses: readonly string[], timeoutMs = 120_000): Promise<any> {
    return eventually(
      `${url} to be ${statuses.join(' or ')}`,
      async () => {
        const res = await this.call('GET', url);
        return res.status === 200 && statuses.includes(res.body?.status) ? res.body : undefined;
      },
      timeoutMs,
    );
  }

  /** The live (not deleted) volumes the read model has on a pool, by backend name. */
  async liveVolumesOn(poolId: string): Promise<string[]> {
    const { body } = await this.call('GET', `/volumes?poolId=${poolId}&limit=500`);
    return (body.items as { status: string; backendName: string }[]).filter((v) => v.status !== 'deleted').map((v) => v.backendName).sort();
  }
}

/**
 * The volumes a file pool holds: `<name>.raw` at the top of its directory. Anything else at the
 * top that is not the backend's own dot-directory (snapshots, clone records) is a leftover.
 */
export async function fileObjects(poolDir: string): Promise<{ volumes: string[]; other: string[] }> {
  const entries = await readdir(poolDir).catch(() => [] as string[]);
  const volumes = entries.filter((e) => e.endsWith('.raw')).map((e) => e.slice(0, -'.raw'.length));
  const other = entries.filter((e) => !e.endsWith('.raw') && !['.snapshots', '.clones'].includes(e));
  return { volumes: volumes.sort(), other };
}

/** The snapshot files the file backend keeps for a volume (`.snapshots/<volume>/<snapshot>.raw`). */
export async function fileSnapshots(poolDir: string, volumeBackendName: string): Promise<string[]> {
  const entries = await readdir(path.join(poolDir, '.snapshots', volumeBackendName)).catch(() => [] as string[]);
  return entries.filter((e) => e.endsWith('.raw')).map((e) => e.slice(0, -'.raw'.length)).sort();
}

/** Bytes no one would mistake for another volume's: a hash chain. */
export function pattern(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Writes `bytes` at `offset` of a file (a volume's device on the file backend). */
export async function writeAt(file: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

/** A QCOW2 with recognisable blocks in `work`, and what `qemu-img convert -O raw` makes of it. */
export async function makeQcow2(work: string, virtualBytes: number): Promise<{ qcow2: Buffer; raw: Buffer }> {
  const run = promisify(execFile);
  const source = path.join(work, 'source.raw');
  const handle = await open(source, 'w');
  await handle.truncate(virtualBytes);
  for (const [i, offset] of [0, 5 * MiB + 123, virtualBytes - 4096].entries()) {
    await handle.write(Buffer.from(`strata saga template block ${i} `.repeat(200)).subarray(0, 4096), 0, 4096, offset);
  }
  await handle.close();
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', source, path.join(work, 'image.qcow2')]);
  await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', path.join(work, 'image.qcow2'), path.join(work, 'expected.raw')]);
  return { qcow2: await readFile(path.join(work, 'image.qcow2')), raw: await readFile(path.join(work, 'expected.raw')) };
}

/**
 * Breaks a QCOW2 so that `qemu-img info` still reads it (header, virtual size) but a conversion
 * fails: the first L2 entry points at an unaligned cluster offset, which qemu reports as corrupt
 * on the first read.
 */
export async function corruptQcow2Data(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    const l1 = Number(header.readBigUInt64BE(40));
    const entry = Buffer.alloc(8);
    await handle.read(entry, 0, 8, l1);
    const l2 = Number(entry.readBigUInt64BE(0) & 0x00fffffffffffe00n);
    if (l2 === 0) throw new Error(`${file} has no L2 table to corrupt`);
    const bad = Buffer.alloc(8);
    bad.writeBigUInt64BE(0x8000000000000000n | 0x200n);
    await handle.write(bad, 0, 8, l2);
  } finally {
    await handle.close();
  }
}
