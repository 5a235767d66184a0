import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Page, PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';
import type { SnapshotStatus } from '../../read-model/domain/rows';
import { SnapshotEntity } from '../../read-model/infrastructure/snapshot.entity';
import { tenantStatusPage } from '../../read-model/infrastructure/tenant-status-page';

export interface SnapshotFilter {
  readonly volumeId?: string;
  /** Deleted snapshots are listed only when this asks for them. */
  readonly status?: SnapshotStatus;
}

/** Snapshots in the order they were requested, filtered, one keyset page at a time. */
@Injectable()
export class ListSnapshotsQuery {
  constructor(private readonly dataSource: DataSource) {}

  execute(filter: SnapshotFilter, page: PageRequest, context: RequestContext): Promise<Page<SnapshotEntity>> {
    return tenantStatusPage(this.dataSource, SnapshotEntity, filter, page, context);
  }
}
