import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** The template-exports tables (see the migration): the view of volumes and snapshots, and the members of each export process. */
@Injectable()
export class TemplateExportsStore {
  constructor(private readonly dataSource: DataSource) {}

  async sourceSeen(m: EntityManager, source: { id: string; kind: 'volume' | 'snapshot'; volumeId: string; sizeBytes: number }): Promise<void> {
    await m.query(
      `INSERT INTO "image".export_sources (source_id, kind, volume_id, size_bytes) VALUES ($1, $2, $3, $4)
       ON CONFLICT (source_id) DO UPDATE SET size_bytes = EXCLUDED.size_bytes, deleted = false, updated_at = now()`,
      [source.id, source.kind, source.volumeId, source.sizeBytes],
    );
  }

  async resized(m: EntityManager, id: string, sizeBytes: number): Promise<void> {
    await m.query(`UPDATE "image".export_sources SET size_bytes = $2, updated_at = now() WHERE source_id = $1`, [id, sizeBytes]);
  }

  async deleted(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE "image".export_sources SET deleted = true, updated_at = now() WHERE source_id = $1`, [id]);
  }

  /** The size a clone of the snapshot needs: the snapshot's, else its volume's (at least as big unless shrunk since); null when neither is known. */
  async cloneSize(snapshotId: string, volumeId: string): Promise<number | null> {
    const rows: { source_id: string; size_bytes: string }[] = await this.dataSource.query(
      `SELECT source_id, size_bytes FROM "image".export_sources WHERE source_id = ANY($1) AND NOT deleted`,
      [[snapshotId, volumeId]],
    );
    const row = rows.find((r) => r.source_id === snapshotId) ?? rows.find((r) => r.source_id === volumeId);
    return row ? Number(row.size_bytes) : null;
  }

  async addMembers(m: EntityManager, templateId: string, memberIds: readonly string[]): Promise<void> {
    for (const id of memberIds) {
      await m.query(`INSERT INTO "image".template_export_members (member_id, template_id) VALUES ($1, $2) ON CONFLICT (member_id) DO NOTHING`, [id, templateId]);
    }
  }

  /** The template a temporary volume or an export belongs to, or null when it is none of ours. */
  async templateOfMember(memberId: string): Promise<string | null> {
    const rows: { template_id: string }[] = await this.dataSource.query(`SELECT template_id FROM "image".template_export_members WHERE member_id = $1`, [memberId]);
    return rows.length ? rows[0].template_id : null;
  }
}
