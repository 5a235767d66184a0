import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '../../errors';
import type { HostRow } from '../../read-model/domain/rows';
import { HostEntity } from '../../read-model/infrastructure/host.entity';

/** Hosts as the read model knows them. Hosts are shared infrastructure: every caller sees them. */
@Injectable()
export class HostLookup {
  constructor(private readonly dataSource: DataSource) {}

  /** Any projected host, deregistered ones included (GET /hosts/{id} shows them). */
  async find(id: string): Promise<HostRow> {
    const host = await this.dataSource.getRepository(HostEntity).findOne({ where: { id } });
    if (!host) throw notFound('host', id);
    return host;
  }

  /** A host a command may still be about: a deregistered one is as unknown as one never registered. */
  async live(id: string): Promise<HostRow> {
    const host = await this.find(id);
    if (host.status === 'deregistered') throw notFound('host', id);
    return host;
  }
}
