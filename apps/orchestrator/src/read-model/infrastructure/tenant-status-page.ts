import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';

/**
 * One keyset page (by seq) of a read model whose rows carry status and tenant: the snapshot, VM snapshot and
 * snapshot policy lists. Deleted rows are listed only when status asks for them.
 */
export async function tenantStatusPage<T extends ObjectLiteral & { seq: number }>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  /** The status to show, and columns matched exactly where given. */
  filter: { readonly status?: string },
  page: PageRequest,
  context: RequestContext,
): Promise<Page<T>> {
  const q = dataSource
    .getRepository(entity)
    .createQueryBuilder('r')
    .where('r.seq > :after', { after: page.after })
    .orderBy('r.seq', 'ASC')
    .limit(page.limit + 1);
  const { status, ...columns } = filter;
  if (status) q.andWhere('r.status = :status', { status });
  else q.andWhere(`r.status <> 'deleted'`);
  // Column names come from the query classes' filter types, never from the request.
  for (const [column, value] of Object.entries(columns)) if (value) q.andWhere(`r.${column} = :${column}`, { [column]: value });
  // A tenant's own scope is not a filter it can lift.
  if (context.tenant !== null) q.andWhere('r.tenant = :scope', { scope: context.tenant });
  return toPage(await q.getMany(), page.limit);
}
