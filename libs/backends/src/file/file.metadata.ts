import { randomUUID } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BackendError } from '@strata/plugin-sdk';
import { syncDirectory } from './file.copy';
import { errnoOf, toFileBackendError } from './file.errors';

/**
 * The small JSON files that hold what a file name cannot: when a snapshot was
 * taken (so that listSnapshots is oldest first even within one millisecond) and
 * which snapshot a clone was made from (so that getVolumeTree and
 * deleteVolumeTree find clones, which are ordinary volumes). One file per
 * object rather than one index per pool: two clones made at once from different
 * volumes never rewrite the same file, and every write is a rename, so a crash
 * leaves the old file or the new one, never half of one.
 */

/** Prefix of every file being written; never a volume (no '.raw' suffix) and cleaned up when stale. */
export const TEMP_PREFIX = '.strata-tmp-';

export function tempPathIn(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${randomUUID()}`);
}

/** `<pool>/.snapshots/<volume>/<snapshot>.json`, beside the snapshot's `.raw`. */
export interface SnapshotRecord {
  readonly volumeName: string;
  readonly snapshotName: string;
  readonly sizeBytes: number;
  /** When the copy started: the point in time the snapshot shows. */
  readonly createdAt: string;
  /** 1 + the highest sequence among the volume's snapshots at the time: orders snapshots taken in one millisecond. */
  readonly sequence: number;
}

/** `<pool>/.clones/<clone>.json`: the clone's lineage. */
export interface CloneRecord {
  readonly name: string;
  readonly sourceVolumeName: string;
  readonly snapshotName: string;
  readonly createdAt: string;
}

/** Writes JSON to a temp file in the target's directory, then renames it over the target. */
export async function writeJsonAtomically(path: string, value: object): Promise<void> {
  const dir = dirname(path);
  const temp = tempPathIn(dir);
  try {
    const handle = await fsp.open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(value)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, path);
  } catch (error) {
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw toFileBackendError(error, 'write metadata file', path);
  }
  await syncDirectory(dir);
}

/** The parsed file, or undefined when there is none. */
async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw toFileBackendError(error, 'read metadata file', path);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw corrupt(path, `not JSON (${(error as Error).message})`, error);
  }
}

export async function readSnapshotRecord(path: string): Promise<SnapshotRecord | undefined> {
  const raw = await readJson(path);
  if (raw === undefined) return undefined;
  const record = raw as Partial<Record<keyof SnapshotRecord, unknown>>;
  if (
    typeof record.volumeName !== 'string' ||
    typeof record.snapshotName !== 'string' ||
    !Number.isSafeInteger(record.sizeBytes) ||
    typeof record.createdAt !== 'string' ||
    !Number.isSafeInteger(record.sequence)
  ) {
    throw corrupt(path, 'not a snapshot record (volumeName, snapshotName, sizeBytes, createdAt, sequence)');
  }
  return record as SnapshotRecord;
}

export async function readCloneRecord(path: string): Promise<CloneRecord | undefined> {
  const raw = await readJson(path);
  if (raw === undefined) return undefined;
  const record = raw as Partial<Record<keyof CloneRecord, unknown>>;
  if (
    typeof record.name !== 'string' ||
    typeof record.sourceVolumeName !== 'string' ||
    typeof record.snapshotName !== 'string' ||
    typeof record.createdAt !== 'string'
  ) {
    throw corrupt(path, 'not a clone record (name, sourceVolumeName, snapshotName, createdAt)');
  }
  return record as CloneRecord;
}

/** Someone edited or damaged a metadata file: guessing could delete the wrong data, so an operator must look. */
function corrupt(path: string, why: string, cause?: unknown): BackendError {
  return new BackendError('terminal', 'file.metadata_corrupt', `metadata file ${path} is ${why}; fix or remove it`, {
    cause,
    details: { path },
  });
}
