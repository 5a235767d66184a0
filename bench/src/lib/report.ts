/** One row of a bench's result table: what was measured, its figure, its raw baseline and their ratio. */
export interface ResultRow {
  readonly metric: string;
  readonly value: number | string | null;
  readonly unit: string;
  readonly baseline?: number | string | null;
  readonly baselineLabel?: string;
  /** value / baseline (for a time the higher the worse; for a rate the higher the better). */
  readonly ratio?: number | null;
  readonly note?: string;
}

export interface BenchResult {
  readonly name: string;
  readonly status: 'ok' | 'failed' | 'partial';
  readonly startedAt: string;
  readonly seconds: number;
  readonly rows: ResultRow[];
  /** Anything not measured, and why. */
  readonly skipped: string[];
  readonly error?: string;
  readonly details?: unknown;
  /** Load averages (1, 5, 15 min) as the bench ended. */
  readonly loadAverageAtEnd?: number[];
}

const fmt = (v: number | string | null | undefined): string =>
  v === null || v === undefined
    ? '-'
    : typeof v !== 'number'
      ? v
      : Number.isInteger(v)
        ? String(v)
        : Math.abs(v) < 0.01
          ? v.toPrecision(3)
          : v.toFixed(Math.abs(v) < 10 ? 3 : 1);

export function tableLines(result: BenchResult, markdown = false): string[] {
  const head = ['metric', 'value', 'unit', 'baseline', 'baseline is', 'ratio', 'note'];
  const body = result.rows.map((r) => [r.metric, fmt(r.value), r.unit, fmt(r.baseline), r.baselineLabel ?? '', fmt(r.ratio), r.note ?? '']);
  if (markdown) {
    return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((cells) => `| ${cells.join(' | ')} |`)];
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 3 || i === 5 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

export function printResult(result: BenchResult): void {
  console.log(`\n== ${result.name}: ${result.status} (${result.seconds.toFixed(1)} s) ==`);
  for (const l of tableLines(result)) console.log(l);
  for (const s of result.skipped) console.log(`  not measured: ${s}`);
  if (result.error) console.log(`  error: ${result.error}`);
}
