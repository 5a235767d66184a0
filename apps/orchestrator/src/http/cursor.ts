/**
 * Keyset pagination. Cursors are opaque to clients (base64url JSON) so the key can change
 * without breaking them; the key is the row's insertion sequence: unique, and exact,
 * unlike a timestamp that JavaScript would round to milliseconds.
 */
export function encodeCursor(after: number): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

/** The sequence to continue after, or undefined when the cursor is not one of ours. */
export function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const after = (parsed as { after?: unknown })?.after;
    return typeof after === 'number' && Number.isSafeInteger(after) && after >= 0 ? after : undefined;
  } catch {
    return undefined;
  }
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export interface PageRequest {
  /** Continue after this sequence; 0 = from the start. */
  readonly after: number;
  readonly limit: number;
}

/** Turns limit+1 fetched rows into a page: the extra row only says that more exist. */
export function toPage<R extends { seq: number }>(rows: readonly R[], limit: number): Page<R> {
  const items = rows.slice(0, limit);
  const more = rows.length > limit && items.length > 0;
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1].seq) : null };
}

export function mapPage<R, T>(page: Page<R>, view: (row: R) => T): Page<T> {
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}
