import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import type { TemplateRow } from '../../read-model/domain/rows';
import { TemplateEntity } from '../../read-model/infrastructure/template.entity';

/**
 * A template as the caller may see it (its own, a public one, or any for an operator) or
 * change it (its own, or any for an operator). Anything else answers 404, as an unknown id.
 */
@Injectable()
export class TemplateLookup {
  constructor(private readonly dataSource: DataSource) {}

  async visible(id: string, context: RequestContext): Promise<TemplateRow> {
    const template = await this.dataSource.getRepository(TemplateEntity).findOne({ where: { id } });
    if (!template || (context.tenant !== null && template.tenant !== context.tenant && !template.public)) throw notFound('template', id);
    return template;
  }

  async owned(id: string, context: RequestContext): Promise<TemplateRow> {
    const template = await this.visible(id, context);
    if (context.tenant !== null && template.tenant !== context.tenant) throw notFound('template', id);
    return template;
  }
}
