/** Percentile by nearest rank over a copy of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function summarize(latenciesMs: readonly number[]): LatencySummary {
  return {
    count: latenciesMs.length,
    p50Ms: round(percentile(latenciesMs, 50)),
    p99Ms: round(percentile(latenciesMs, 99)),
    maxMs: round(latenciesMs.reduce((m, v) => Math.max(m, v), 0)),
  };
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** measured / baseline to 3 significant digits; null when either side is missing. */
export function ratio(measured: number | null | undefined, baseline: number | null | undefined): number | null {
  if (measured == null || baseline == null || !Number.isFinite(measured) || !Number.isFinite(baseline) || baseline === 0) return null;
  return Number((measured / baseline).toPrecision(3));
}

export const msSince = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e6;
