import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { PoolFacts } from '../domain/template-base';

export interface BaseRow {
  readonly baseId: string;
  readonly templateId: string;
  readonly poolId: string;
}

/** The bases context's tables (see the migration): pools view, bases of a template, members of a base. */
@Injectable()
export class BasesStore {
  constructor(private readonly dataSource: DataSource) {}

  async pool(poolId: string, m: EntityManager = this.dataSource.manager): Promise<PoolFacts | null> {
    const rows: { pool_id: string; zone_id: string; deleted: boolean }[] = await m.query(
      `SELECT pool_id, zone_id, deleted FROM "image".base_pools WHERE pool_id = $1`,
      [poolId],
    );
    return rows.length ? { poolId: rows[0].pool_id, zoneId: rows[0].zone_id, deleted: rows[0].deleted } : null;
  }

  async poolAdded(m: EntityManager, poolId: string, zoneId: string): Promise<void> {
    await m.query(
      `INSERT INTO "image".base_pools (pool_id, zone_id) VALUES ($1, $2)
       ON CONFLICT (pool_id) DO UPDATE SET zone_id = EXCLUDED.zone_id, updated_at = now()`,
      [poolId, zoneId],
    );
  }

  async poolDeleted(m: EntityManager, poolId: string): Promise<void> {
    await m.query(`UPDATE "image".base_pools SET deleted = true, updated_at = now() WHERE pool_id = $1`, [poolId]);
  }

  /** Called with the TemplateSpoolRequested, in its transaction; a later attempt adds its own members. */
  async recordSpool(m: EntityManager, base: BaseRow, members: readonly { id: string; kind: 'volume' | 'snapshot' }[]): Promise<void> {
    await m.query(
      `INSERT INTO "image".template_bases (base_id, template_id, pool_id) VALUES ($1, $2, $3) ON CONFLICT (base_id) DO NOTHING`,
      [base.baseId, base.templateId, base.poolId],
    );
    for (const member of members) {
      await m.query(`INSERT INTO "image".base_members (member_id, base_id, kind) VALUES ($1, $2, $3) ON CONFLICT (member_id) DO NOTHING`, [
        member.id,
        base.baseId,
        member.kind,
      ]);
    }
  }

  /** The base a storage volume or snapshot belongs to, or null when it is not one of ours. */
  async baseOfMember(memberId: string): Promise<string | null> {
    const rows: { base_id: string }[] = await this.dataSource.query(`SELECT base_id FROM "image".base_members WHERE member_id = $1`, [memberId]);
    return rows.length ? rows[0].base_id : null;
  }

  async basesOfTemplate(templateId: string): Promise<BaseRow[]> {
    const rows: { base_id: string; template_id: string; pool_id: string }[] = await this.dataSource.query(
      `SELECT base_id, template_id, pool_id FROM "image".template_bases WHERE template_id = $1 ORDER BY base_id`,
      [templateId],
    );
    return rows.map((r) => ({ baseId: r.base_id, templateId: r.template_id, poolId: r.pool_id }));
  }

  async allBases(): Promise<BaseRow[]> {
    const rows: { base_id: string; template_id: string; pool_id: string }[] = await this.dataSource.query(
      `SELECT base_id, template_id, pool_id FROM "image".template_bases ORDER BY base_id`,
    );
    return rows.map((r) => ({ baseId: r.base_id, templateId: r.template_id, poolId: r.pool_id }));
  }
}
