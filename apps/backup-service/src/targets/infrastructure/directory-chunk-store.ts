import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ChunkMissingError, CHUNK_ID } from '../../engine/chunk-errors';
import type { ChunkStore, StoredChunk } from '../../engine/ports';

/** Backup ids become file names: only what a UUID (or a similar plain id) may contain. */
const BACKUP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * A directory target (local disk or an NFS mount):
 *   <path>/chunks/<first 2 hex>/<id>     compressed chunks (256 subdirectories keep listings short)
 *   <path>/manifests/<backupId>.json
 * Every file is written under a temporary name, synced, then renamed, so a reader never sees
 * half a chunk and a crash leaves at worst a stray temporary file.
 */
export class DirectoryChunkStore implements ChunkStore {
  constructor(readonly root: string) {}

  async hasChunk(id: string): Promise<boolean> {
    try {
      const file = await open(this.chunkPath(id), 'r');
      await file.close();
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async putChunk(id: string, compressed: Buffer): Promise<void> {
    await writeAtomically(this.chunkPath(id), compressed);
  }

  async getChunk(id: string): Promise<Buffer> {
    try {
      return await readFile(this.chunkPath(id));
    } catch (error) {
      if (isNotFound(error)) throw new ChunkMissingError(id);
      throw error;
    }
  }

  async deleteChunk(id: string): Promise<void> {
    await rm(this.chunkPath(id), { force: true });
  }

  async *listChunkIds(): AsyncIterable<string> {
    const chunks = join(this.root, 'chunks');
    for (const dir of (await readdirOrEmpty(chunks)).sort()) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const name of (await readdirOrEmpty(join(chunks, dir))).sort()) {
        // Temporary files of unfinished writes are not chunks.
        if (CHUNK_ID.test(name) && name.startsWith(dir)) yield name;
      }
    }
  }

  async *listChunks(): AsyncIterable<StoredChunk> {
    for await (const id of this.listChunkIds()) {
      try {
        yield { id, modifiedAt: (await stat(this.chunkPath(id))).mtime };
      } catch (error) {
        // Deleted between the listing and the stat (another collector): not there any more.
        if (!isNotFound(error)) throw error;
      }
    }
  }

  async putManifest(backupId: string, body: Buffer): Promise<void> {
    await writeAtomically(this.manifestPath(backupId), body);
  }

  async getManifest(backupId: string): Promise<Buffer | null> {
    try {
      return await readFile(this.manifestPath(backupId));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async deleteManifest(backupId: string): Promise<void> {
    await rm(this.manifestPath(backupId), { force: true });
  }

  async listManifestIds(): Promise<string[]> {
    return (await readdirOrEmpty(join(this.root, 'manifests')))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter((id) => BACKUP_ID.test(id))
      .sort();
  }

  private chunkPath(id: string): string {
    if (!CHUNK_ID.test(id)) throw new RangeError(`not a chunk id: ${JSON.stringify(id)}`);
    return join(this.root, 'chunks', id.slice(0, 2), id);
  }

  private manifestPath(backupId: string): string {
    if (!BACKUP_ID.test(backupId)) throw new RangeError(`not a backup id: ${JSON.stringify(backupId)}`);
    return join(this.root, 'manifests', `${backupId}.json`);
  }
}

async function writeAtomically(path: string, body: Buffer): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true });
  const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const file = await open(temp, 'wx');
  try {
    await file.writeFile(body);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temp, { force: true });
    throw error;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

/** Makes the rename durable; some file systems (some NFS clients) refuse to sync a directory, which is then their business. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort, see above
  } finally {
    await handle?.close();
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}
