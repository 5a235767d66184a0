// Support for the engine's tests (named .spec.ts so only tests may import it; not a test file itself).
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';

/** Deterministic bytes for a seed: each chunk's content is reproducible, and different seeds differ. */
export function pattern(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export interface VolumeLayout {
  readonly chunkSizeBytes: number;
  readonly chunks: number;
  /** Seed of each chunk's content; null leaves a hole (all zeros, never written). */
  seedOf(index: number): string | null;
}

/**
 * A sparse file of `chunks` chunks: every third chunk a hole, every tenth (from the second) the
 * same content "repeated", the rest unique. The last chunk is short when `tailBytes` is given.
 */
export function standardLayout(chunkSizeBytes: number, chunks: number): VolumeLayout {
  return {
    chunkSizeBytes,
    chunks,
    seedOf: (i) => (i % 3 === 0 ? null : i % 10 === 1 ? 'repeated' : `chunk-${i}`),
  };
}

export async function writeVolume(path: string, layout: VolumeLayout, sizeBytes = layout.chunks * layout.chunkSizeBytes): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.truncate(sizeBytes);
    for (let i = 0; i < layout.chunks; i++) {
      const seed = layout.seedOf(i);
      const offset = i * layout.chunkSizeBytes;
      if (seed !== null) await file.write(pattern(seed, Math.min(layout.chunkSizeBytes, sizeBytes - offset)), 0, undefined, offset);
    }
  } finally {
    await file.close();
  }
}

/** Overwrites chunk `index` with new content. */
export async function rewriteChunk(path: string, layout: VolumeLayout, index: number, seed: string): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.write(pattern(seed, layout.chunkSizeBytes), 0, undefined, index * layout.chunkSizeBytes);
  } finally {
    await file.close();
  }
}

export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}

/** What the standard layout should give: chunks, zero chunks, distinct non-zero contents. */
export function expectedCounts(layout: VolumeLayout): { chunks: number; zero: number; distinct: number } {
  const seeds = Array.from({ length: layout.chunks }, (_, i) => layout.seedOf(i));
  return { chunks: layout.chunks, zero: seeds.filter((s) => s === null).length, distinct: new Set(seeds.filter((s) => s !== null)).size };
}
