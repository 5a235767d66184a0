import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Checksum, ErrorInfo, ImageFormat, TemplateKind } from '@strata/contracts';
import type { VerifiedFile } from '../../templates/domain/template';

const run = promisify(execFile);

/** What the registration declared, which the file must live up to. */
export interface Declared {
  readonly kind: TemplateKind;
  readonly format: ImageFormat;
  readonly checksum: Checksum | null;
}

export type Verdict = { readonly ok: true; readonly file: VerifiedFile } | { readonly ok: false; readonly error: ErrorInfo };

/** ISO 9660: 16 system-area sectors of 2 KiB, then the primary volume descriptor ("\x01CD001"). */
const ISO_SIGNATURE_OFFSET = 32769;
const ISO_MIN_BYTES = 32 * 1024 + 2 * 1024;

const refuse = (code: string, message: string): Verdict => ({ ok: false, error: { code, category: 'validation', message } });

/** sha256 always, and the declared algorithm, in one read of the file. */
async function digests(file: string, algorithm: string | null): Promise<{ sha256: string; declared: string | null }> {
  const sha256 = createHash('sha256');
  const other = algorithm && algorithm !== 'sha256' ? createHash(algorithm) : null;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    sha256.update(chunk as Buffer);
    other?.update(chunk as Buffer);
  }
  const sha = sha256.digest('hex');
  return { sha256: sha, declared: algorithm === null ? null : other ? other.digest('hex') : sha };
}

interface QemuImgInfo {
  readonly format?: string;
  readonly 'virtual-size'?: number;
  readonly 'backing-filename'?: string;
}

/**
 * qemu-img's reading of the file. Run without a shell and without a declared format, so it
 * probes the content (anything it does not recognise is "raw"). A missing qemu-img throws:
 * that is this host's fault, not the image's, and the registration is tried again later.
 */
async function qemuImgInfo(file: string): Promise<{ ok: true; info: QemuImgInfo } | { ok: false; reason: string }> {
  try {
    const { stdout } = await run('qemu-img', ['info', '--output=json', file], { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 });
    return { ok: true, info: JSON.parse(stdout) as QemuImgInfo };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('qemu-img is not installed on this host: templates cannot be verified');
    return { ok: false, reason: (e.stderr || e.message).trim().split('\n').pop() ?? 'qemu-img failed' };
  }
}

async function isIso(file: string, size: number): Promise<boolean> {
  if (size < ISO_MIN_BYTES) return false;
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(5);
    await handle.read(buffer, 0, 5, ISO_SIGNATURE_OFFSET);
    return buffer.toString('latin1') === 'CD001';
  } finally {
    await handle.close();
  }
}

/**
 * Checks a received template file against its declaration: the checksum (when one was
 * given), the real format (qemu-img for disk images, the ISO 9660 signature for ISOs), no
 * backing file; and measures it.
 */
export async function inspectImage(file: string, declared: Declared): Promise<Verdict> {
  const { size } = await stat(file);
  const sums = await digests(file, declared.checksum?.algorithm ?? null);
  if (declared.checksum && sums.declared !== declared.checksum.value.toLowerCase()) {
    return refuse(
      'image.checksum_mismatch',
      `${declared.checksum.algorithm} of the file is ${sums.declared}, but ${declared.checksum.value.toLowerCase()} was declared`,
    );
  }
  const measured = (format: ImageFormat, virtualSizeBytes: number): Verdict => ({
    ok: true,
    file: { format, virtualSizeBytes, physicalSizeBytes: size, sha256: sums.sha256 },
  });
  if (declared.kind === 'iso') {
    if (!(await isIso(file, size))) return refuse('image.format_mismatch', 'declared iso, but the file has no ISO 9660 signature (CD001 at byte 32769)');
    return measured('iso', size);
  }
  const probed = await qemuImgInfo(file);
  if (!probed.ok) return refuse('image.unreadable', `qemu-img cannot read the file: ${probed.reason}`);
  const found = probed.info.format ?? 'unknown';
  if (found !== declared.format) return refuse('image.format_mismatch', `declared ${declared.format}, but the file is ${found}`);
  if (probed.info['backing-filename']) {
    return refuse('image.unreadable', 'the qcow2 image has a backing file: a template must be self-contained (qemu-img convert it first)');
  }
  const virtualSize = probed.info['virtual-size'];
  if (typeof virtualSize !== 'number') return refuse('image.unreadable', 'qemu-img reports no virtual size');
  return measured(declared.format, virtualSize);
}

/** The sha256 of a file, hex. */
export async function sha256Of(file: string): Promise<string> {
  return (await digests(file, null)).sha256;
}
