import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';
import { TOPIC_DERIVED_TABLES } from './read-model-tables';

/**
 * The read models as rows, to compare a rebuild with what the live projection made: every
 * topic-derived table and the jobs (kept by a rebuild, only moved forward), each row as JSON
 * text without `seq` (a row's place in projection order, which a replay does not keep), keyed
 * by its primary key. No Nest or TypeORM here: the int test dumps through its DataSource, the
 * fault run (which starts this app from its dist) through a pg client.
 */
export type ReadModelDump = Record<string, Map<string, string>>;

/** Runs one SQL text and returns its rows (DataSource.query, or a pg client's rows). */
export type RowsQuery = (sql: string) => Promise<readonly Record<string, unknown>[]>;

export const DUMPED_TABLES: readonly string[] = [...TOPIC_DERIVED_TABLES, 'jobs'];

export async function dumpReadModels(query: RowsQuery, tables: readonly string[] = DUMPED_TABLES): Promise<ReadModelDump> {
  const out: ReadModelDump = {};
  for (const table of tables) {
    const keyColumns = (await query(
      `SELECT a.attname AS name FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = '"${s}"."${table}"'::regclass AND i.indisprimary
        ORDER BY a.attname`,
    )).map((r) => String(r.name));
    const key = keyColumns.length > 0 ? `jsonb_build_array(${keyColumns.map((c) => `t."${c}"`).join(', ')})::text` : `(to_jsonb(t) - 'seq')::text`;
    const rows = await query(`SELECT ${key} AS key, (to_jsonb(t) - 'seq')::text AS row FROM "${s}"."${table}" t ORDER BY 2`);
    out[table] = new Map(rows.map((r) => [String(r.key), String(r.row)]));
  }
  return out;
}

/** The rows as sorted JSON texts per table: what the int test compares with toEqual. */
export function dumpRows(dump: ReadModelDump): Record<string, string[]> {
  return Object.fromEntries(Object.entries(dump).map(([table, rows]) => [table, [...rows.values()].sort()]));
}

export interface TableDifference {
  readonly table: string;
  /** Keys of rows only the first dump has. */
  readonly onlyInFirst: string[];
  readonly onlyInSecond: string[];
  /** Rows under the same key with different contents. */
  readonly differing: { key: string; first: string; second: string }[];
}

/** Per table, what differs between two dumps (tables with no difference are left out). */
export function compareReadModelDumps(first: ReadModelDump, second: ReadModelDump): TableDifference[] {
  const out: TableDifference[] = [];
  for (const table of new Set([...Object.keys(first), ...Object.keys(second)])) {
    const a = first[table] ?? new Map<string, string>();
    const b = second[table] ?? new Map<string, string>();
    const onlyInFirst = [...a.keys()].filter((k) => !b.has(k));
    const onlyInSecond = [...b.keys()].filter((k) => !a.has(k));
    const differing = [...a].filter(([k, row]) => b.has(k) && b.get(k) !== row).map(([key, row]) => ({ key, first: row, second: b.get(key)! }));
    if (onlyInFirst.length + onlyInSecond.length + differing.length > 0) out.push({ table, onlyInFirst, onlyInSecond, differing });
  }
  return out;
}
