import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';
import type { TemplateStatus } from '../../read-model/domain/rows';
import { TemplateEntity } from '../../read-model/infrastructure/template.entity';

export interface TemplateFilter {
  /** Deleted templates are listed only when this asks for them. */
  readonly status?: TemplateStatus;
  /** Templates with a copy (in any state) on this zone's image store. */
  readonly zoneId?: string;
  readonly kind?: string;
  readonly name?: string;
}

/** Templates in the order they were registered, filtered, one keyset page at a time; a tenant sees its own and the public ones. */
@Injectable()
export class ListTemplatesQuery {
  constructor(private readonly dataSource: DataSource) {}

  async execute(filter: TemplateFilter, page: PageRequest, context: RequestContext): Promise<Page<TemplateEntity>> {
    const q = this.dataSource
      .getRepository(TemplateEntity)
      .createQueryBuilder('t')
      .where('t.seq > :after', { after: page.after })
      .orderBy('t.seq', 'ASC')
      .limit(page.limit + 1);
    if (filter.status) q.andWhere('t.status = :status', { status: filter.status });
    else q.andWhere(`t.status <> 'deleted'`);
    if (filter.kind) q.andWhere('t.kind = :kind', { kind: filter.kind });
    if (filter.name) q.andWhere('t.name = :name', { name: filter.name });
    if (filter.zoneId) q.andWhere('t.copies @> :zone::jsonb', { zone: JSON.stringify([{ zoneId: filter.zoneId }]) });
    // A tenant's own scope is not a filter it can lift.
    if (context.tenant !== null) q.andWhere('(t.tenant = :scope OR t.public)', { scope: context.tenant });
    return toPage(await q.getMany(), page.limit);
  }
}
