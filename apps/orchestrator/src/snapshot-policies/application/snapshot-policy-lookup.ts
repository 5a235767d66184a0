import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { snapshotPolicyNotFound } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import type { SnapshotPolicyRow } from '../../read-model/domain/rows';
import { SnapshotPolicyEntity } from '../../read-model/infrastructure/snapshot-policy.entity';

/** A snapshot policy as the caller may see it: another tenant's answers 404, as an unknown id. */
@Injectable()
export class SnapshotPolicyLookup {
  constructor(private readonly dataSource: DataSource) {}

  async visible(id: string, context: RequestContext): Promise<SnapshotPolicyRow> {
    const policy = await this.dataSource.getRepository(SnapshotPolicyEntity).findOne({ where: { id } });
    if (!policy || (context.tenant !== null && policy.tenant !== context.tenant)) throw snapshotPolicyNotFound(id);
    return policy;
  }
}
