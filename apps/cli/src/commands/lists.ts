import { ok, type ListItem, type ListPath, type ListQuery } from '@strata/client';
import type { CommandContext } from '../context';
import { renderTable, type Column } from '../output/table';
import { parsePositiveInt } from './options';

export interface PageOptions {
  limit?: string;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * One page as the API answers it when --limit or --cursor is given (nextCursor kept, for
 * scripts that page themselves); otherwise every page, as one list with nextCursor null.
 */
export async function fetchList<P extends ListPath>(
  context: CommandContext,
  path: P,
  query: ListQuery<P>,
  page: PageOptions,
  pathParams?: Record<string, string>,
): Promise<Page<ListItem<P>>> {
  if (page.limit === undefined && page.cursor === undefined) {
    return { items: await context.client.listAll(path, query, pathParams), nextCursor: null };
  }
  const get = context.client.api.GET as unknown as (
    path: string,
    init: { params: { query: Record<string, unknown>; path?: Record<string, string> } },
  ) => Promise<{ data?: Page<ListItem<P>>; response: Response }>;
  const pageQuery = { ...query, ...(page.limit ? { limit: parsePositiveInt('limit', page.limit) } : {}), ...(page.cursor ? { cursor: page.cursor } : {}) };
  return ok(get(path, { params: { query: pageQuery, ...(pathParams ? { path: pathParams } : {}) } }));
}

/** A page as a table (or JSON), and in table mode where the next page starts, on stderr. */
export function printPage<T>(context: CommandContext, page: Page<T>, columns: readonly Column<T>[]): void {
  context.print(page, () => renderTable(columns, page.items));
  if (context.output === 'table' && page.nextCursor) context.note(`more: add --cursor ${page.nextCursor}`);
}
