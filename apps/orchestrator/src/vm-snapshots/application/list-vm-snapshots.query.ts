import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Page, PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';
import type { VmSnapshotStatus } from '../../read-model/domain/rows';
import { tenantStatusPage } from '../../read-model/infrastructure/tenant-status-page';
import { VmSnapshotEntity } from '../../read-model/infrastructure/vm-snapshot.entity';

export interface VmSnapshotFilter {
  readonly vmId?: string;
  /** Deleted VM snapshots are listed only when this asks for them. */
  readonly status?: VmSnapshotStatus;
}

/** VM snapshots in the order they were requested, filtered, one keyset page at a time. */
@Injectable()
export class ListVmSnapshotsQuery {
  constructor(private readonly dataSource: DataSource) {}

  execute(filter: VmSnapshotFilter, page: PageRequest, context: RequestContext): Promise<Page<VmSnapshotEntity>> {
    return tenantStatusPage(this.dataSource, VmSnapshotEntity, filter, page, context);
  }
}
