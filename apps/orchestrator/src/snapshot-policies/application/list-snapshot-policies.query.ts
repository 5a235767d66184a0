import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Page, PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';
import type { SnapshotPolicyStatus } from '../../read-model/domain/rows';
import { SnapshotPolicyEntity } from '../../read-model/infrastructure/snapshot-policy.entity';
import { tenantStatusPage } from '../../read-model/infrastructure/tenant-status-page';

export interface SnapshotPolicyFilter {
  readonly volumeId?: string;
  /** Deleted policies are listed only when this asks for them. */
  readonly status?: SnapshotPolicyStatus;
}

/** Snapshot policies in the order they were projected, filtered, one keyset page at a time. */
@Injectable()
export class ListSnapshotPoliciesQuery {
  constructor(private readonly dataSource: DataSource) {}

  execute(filter: SnapshotPolicyFilter, page: PageRequest, context: RequestContext): Promise<Page<SnapshotPolicyEntity>> {
    return tenantStatusPage(this.dataSource, SnapshotPolicyEntity, filter, page, context);
  }
}
