import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage, type Page, type PageRequest } from '../../http/cursor';
import type { RequestContext } from '../../http/request-context';
import type { BackupScheduleStatus, BackupStatus, BackupTargetStatus } from '../../read-model/domain/rows';
import { BackupEntity, BackupScheduleEntity, BackupTargetEntity } from '../../read-model/infrastructure/backup.entities';
import { tenantStatusPage } from '../../read-model/infrastructure/tenant-status-page';

export interface BackupFilter {
  readonly volumeId?: string;
  readonly targetId?: string;
  /** Deleted backups are listed only when this asks for them. */
  readonly status?: BackupStatus;
}

export interface BackupScheduleFilter {
  readonly volumeId?: string;
  readonly targetId?: string;
  readonly status?: BackupScheduleStatus;
}

/** The backup lists, one keyset page at a time, in the order they were projected; a tenant sees its own volumes' only. */
@Injectable()
export class BackupQueries {
  constructor(private readonly dataSource: DataSource) {}

  /** Targets in the order they were added; removed ones only when status asks for them. */
  async targets(filter: { status?: BackupTargetStatus; kind?: string }, page: PageRequest): Promise<Page<BackupTargetEntity>> {
    const q = this.dataSource
      .getRepository(BackupTargetEntity)
      .createQueryBuilder('t')
      .where('t.seq > :after', { after: page.after })
      .orderBy('t.seq', 'ASC')
      .limit(page.limit + 1);
    if (filter.status) q.andWhere('t.status = :status', { status: filter.status });
    else q.andWhere(`t.status <> 'removed'`);
    if (filter.kind) q.andWhere('t.kind = :kind', { kind: filter.kind });
    return toPage(await q.getMany(), page.limit);
  }

  backups(filter: BackupFilter, page: PageRequest, context: RequestContext): Promise<Page<BackupEntity>> {
    return tenantStatusPage(this.dataSource, BackupEntity, filter, page, context);
  }

  schedules(filter: BackupScheduleFilter, page: PageRequest, context: RequestContext): Promise<Page<BackupScheduleEntity>> {
    return tenantStatusPage(this.dataSource, BackupScheduleEntity, filter, page, context);
  }
}
