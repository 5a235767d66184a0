import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RequestContext } from '../../http/request-context';
import type { TemplateBaseRow, TemplateRow } from '../../read-model/domain/rows';
import { TemplateBaseEntity } from '../../read-model/infrastructure/template-base.entity';
import { TemplateLookup } from './template-lookup';

export interface TemplateDetail {
  readonly template: TemplateRow;
  /** Its cached bases on the pools it was deployed to, oldest first. */
  readonly bases: TemplateBaseRow[];
}

@Injectable()
export class GetTemplateQuery {
  constructor(
    private readonly dataSource: DataSource,
    private readonly templates: TemplateLookup,
  ) {}

  async execute(id: string, context: RequestContext): Promise<TemplateDetail> {
    const template = await this.templates.visible(id, context);
    const bases = await this.dataSource.getRepository(TemplateBaseEntity).find({ where: { templateId: id }, order: { createdAt: 'ASC' } });
    return { template, bases };
  }
}
