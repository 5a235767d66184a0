import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * Backup targets, backups, restores and backup schedules, projected from the backup events
 * topic. A target's config is kept redacted (the secret is never more than "***"); a backup's
 * chain is its parent_backup_id, walked by the query that shows it.
 */
export class Backups1765200000000 implements MigrationInterface {
  name = 'Backups1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${s}".backup_targets (
      target_id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      name text NOT NULL,
      kind text NOT NULL,
      config jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'removed')),
      last_garbage_collection jsonb,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT backup_targets_seq_uq UNIQUE (seq)
    )`);

    await q.query(`CREATE TABLE "${s}".backups (
      backup_id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      volume_id uuid NOT NULL,
      target_id uuid NOT NULL,
      snapshot_id uuid,
      kind text NOT NULL CHECK (kind IN ('full', 'incremental')),
      parent_backup_id uuid,
      status text NOT NULL CHECK (status IN ('requested', 'running', 'completed', 'failed', 'deleting', 'deleted', 'imported')),
      size_bytes bigint NOT NULL,
      chunks integer,
      new_chunks integer,
      reused_chunks integer,
      zero_chunks integer,
      bytes_written bigint,
      progress_percent numeric,
      last_verification jsonb,
      error jsonb,
      tenant text,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      completed_at timestamptz,
      updated_at timestamptz NOT NULL,
      CONSTRAINT backups_seq_uq UNIQUE (seq)
    )`);
    await q.query(`CREATE INDEX backups_volume_seq_idx ON "${s}".backups (volume_id, seq)`);
    await q.query(`CREATE INDEX backups_target_seq_idx ON "${s}".backups (target_id, seq)`);
    await q.query(`CREATE INDEX backups_tenant_seq_idx ON "${s}".backups (tenant, seq)`);

    await q.query(`CREATE TABLE "${s}".restores (
      restore_id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      backup_id uuid NOT NULL,
      volume_id uuid NOT NULL,
      mode text NOT NULL CHECK (mode IN ('new', 'original')),
      pool_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
      progress_percent numeric,
      error jsonb,
      tenant text,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT restores_seq_uq UNIQUE (seq)
    )`);
    await q.query(`CREATE INDEX restores_backup_idx ON "${s}".restores (backup_id)`);

    await q.query(`CREATE TABLE "${s}".backup_schedules (
      schedule_id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      volume_id uuid NOT NULL,
      target_id uuid NOT NULL,
      schedule jsonb NOT NULL,
      retention integer NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'deleted')),
      last_run_due_at timestamptz,
      last_backup_id uuid,
      tenant text,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT backup_schedules_seq_uq UNIQUE (seq)
    )`);
    await q.query(`CREATE INDEX backup_schedules_volume_seq_idx ON "${s}".backup_schedules (volume_id, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${s}".backup_schedules`);
    await q.query(`DROP TABLE "${s}".restores`);
    await q.query(`DROP TABLE "${s}".backups`);
    await q.query(`DROP TABLE "${s}".backup_targets`);
  }
}
