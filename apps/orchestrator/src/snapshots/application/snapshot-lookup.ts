import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import type { SnapshotRow } from '../../read-model/domain/rows';
import { SnapshotEntity } from '../../read-model/infrastructure/snapshot.entity';

/** A snapshot as the caller may see it: another tenant's answers 404, as an unknown id. */
@Injectable()
export class SnapshotLookup {
  constructor(private readonly dataSource: DataSource) {}

  async visible(id: string, context: RequestContext): Promise<SnapshotRow> {
    const snapshot = await this.dataSource.getRepository(SnapshotEntity).findOne({ where: { id } });
    if (!snapshot || (context.tenant !== null && snapshot.tenant !== context.tenant)) throw notFound('snapshot', id);
    return snapshot;
  }
}
