/** One line of the printed table: a name, a value, and whether it breaks an invariant. */
export interface Row {
  readonly name: string;
  readonly value: number | string;
  /** Set on an invariant's row when it does not hold: the run exits 1. */
  readonly violation?: boolean;
}

/** What a check found: its rows, and up to a few examples of what broke (for the reader). */
export interface CheckResult {
  readonly title: string;
  readonly rows: readonly Row[];
  readonly samples: readonly string[];
}

export const log = (line: string): void => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);

export function printReport(results: readonly CheckResult[]): number {
  const rows = results.flatMap((r) => r.rows);
  const width = Math.max(...rows.map((r) => r.name.length), 5);
  for (const result of results) {
    console.log('');
    console.log(`${result.title.padEnd(width)}  count`);
    console.log(`${'-'.repeat(width)}  -----`);
    for (const row of result.rows) console.log(`${row.name.padEnd(width)}  ${row.value}${row.violation ? '   <-- VIOLATION' : ''}`);
    for (const s of result.samples.slice(0, 5)) console.log(`  e.g. ${s}`);
  }
  console.log('');
  return rows.filter((r) => r.violation).length;
}
