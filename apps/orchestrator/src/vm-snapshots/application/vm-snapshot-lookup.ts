import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { vmSnapshotNotFound } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import type { VmSnapshotRow } from '../../read-model/domain/rows';
import { VmSnapshotEntity } from '../../read-model/infrastructure/vm-snapshot.entity';

/** A VM snapshot as the caller may see it: another tenant's answers 404, as an unknown id. */
@Injectable()
export class VmSnapshotLookup {
  constructor(private readonly dataSource: DataSource) {}

  async visible(id: string, context: RequestContext): Promise<VmSnapshotRow> {
    const vmSnapshot = await this.dataSource.getRepository(VmSnapshotEntity).findOne({ where: { id } });
    if (!vmSnapshot || (context.tenant !== null && vmSnapshot.tenant !== context.tenant)) throw vmSnapshotNotFound(id);
    return vmSnapshot;
  }
}
