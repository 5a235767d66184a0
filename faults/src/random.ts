/** mulberry32: a small seeded generator, so one seed repeats one run's plan. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One generator per concern, each from the seed and the concern's name: adding a draw to one
 * (a new fault kind, say) does not shift the others, so old seeds keep their kill moments.
 */
export function stream(seed: number, concern: string): () => number {
  let h = seed >>> 0;
  for (const ch of concern) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return seeded(h);
}
