/**
 * The jobs list runs newest first, so its keyset is (createdAt, id) descending rather than an
 * insertion sequence: jobs are written by REST, the deploy saga and the projection, and the
 * table has no seq. Opaque to clients, as every cursor (base64url JSON). createdAt is kept to
 * the millisecond, as every writer (a JavaScript Date) stores it.
 */
export interface JobKey {
  readonly createdAt: Date;
  readonly id: string;
}

export function encodeJobCursor(key: JobKey): string {
  return Buffer.from(JSON.stringify({ at: key.createdAt.toISOString(), id: key.id }), 'utf8').toString('base64url');
}

/** The job to continue after, or undefined when the cursor is not one of ours. */
export function decodeJobCursor(cursor: string): JobKey | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { at?: unknown; id?: unknown };
    if (typeof parsed?.at !== 'string' || typeof parsed.id !== 'string' || parsed.id.length === 0 || parsed.id.length > 200) return undefined;
    const createdAt = new Date(parsed.at);
    return Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== parsed.at ? undefined : { createdAt, id: parsed.id };
  } catch {
    return undefined;
  }
}

/** limit+1 rows to a page: the extra row only says that more exist. */
export function toJobPage<R extends JobKey>(rows: readonly R[], limit: number): { items: R[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const more = rows.length > limit && items.length > 0;
  return { items, nextCursor: more ? encodeJobCursor(items[items.length - 1]) : null };
}
