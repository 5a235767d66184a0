import { UsageError } from './usage-error';

const UNITS: Record<string, number> = {
  b: 1,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
};

/**
 * A size as operators write it: bytes (1073741824), binary units (10GiB, 512MiB, 1.5TiB) or
 * decimal ones (10GB = 10^10 bytes). Units are case-insensitive; the result is a whole, positive
 * number of bytes within JavaScript's exact integers.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match?.[2].toLowerCase() || 'b';
  const factor = UNITS[unit];
  if (!match || factor === undefined) {
    throw new UsageError(`invalid size "${text}": give bytes or a number with B, KiB, MiB, GiB, TiB, PiB (or KB, MB, GB, TB, PB)`);
  }
  const bytes = Number(match[1]) * factor;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError(`invalid size "${text}": it must come to a whole number of bytes, at least 1`);
  }
  return bytes;
}

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Bytes in the largest binary unit that keeps the number at least 1: 10 GiB, 1.5 GiB, 512 B. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BINARY.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${BINARY[unit]}`;
}

/** used / total (percent), the percentage rounded to a whole number; total 0 shows no percentage. */
export function formatUsage(used: number, total: number): string {
  if (total <= 0) return `${formatBytes(used)} / ${formatBytes(total)}`;
  return `${formatBytes(used)} / ${formatBytes(total)} (${Math.round((used / total) * 100)}%)`;
}
