import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import type { VolumeRow } from '../../read-model/domain/rows';
import { VolumeEntity } from '../../read-model/infrastructure/volume.entity';

/**
 * A volume as the caller may see it. Another tenant's volume answers 404, not 403, so a
 * tenant cannot probe which ids exist.
 */
@Injectable()
export class VolumeLookup {
  constructor(private readonly dataSource: DataSource) {}

  async visible(id: string, context: RequestContext): Promise<VolumeRow> {
    const volume = await this.dataSource.getRepository(VolumeEntity).findOne({ where: { id } });
    if (!volume || (context.tenant !== null && volume.tenant !== context.tenant)) throw notFound('volume', id);
    return volume;
  }
}
