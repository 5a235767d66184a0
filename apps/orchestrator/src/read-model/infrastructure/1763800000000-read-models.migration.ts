import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * The orchestrator's read models. They are derived from the storage events and can be
 * rebuilt by replaying the topic (drop the rows and the projection's inbox entries).
 * No foreign keys: a volume's events may be projected before its pool's.
 */
export class ReadModels1763800000000 implements MigrationInterface {
  name = 'ReadModels1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${s}".pools (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      name text NOT NULL,
      plugin text NOT NULL,
      zone_id text NOT NULL,
      cluster_id text,
      tags text[] NOT NULL DEFAULT '{}',
      config jsonb NOT NULL DEFAULT '{}'::jsonb,
      status text NOT NULL,
      capacity_bytes bigint NOT NULL DEFAULT 0,
      used_bytes bigint NOT NULL DEFAULT 0,
      allocated_bytes bigint NOT NULL DEFAULT 0,
      volume_count integer NOT NULL DEFAULT 0,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT pools_seq_uq UNIQUE (seq)
    )`);

    await q.query(`CREATE TABLE "${s}".volumes (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      name text NOT NULL,
      pool_id uuid NOT NULL,
      tenant text,
      volume_type text NOT NULL,
      size_bytes bigint NOT NULL,
      status text NOT NULL CHECK (status IN ('creating', 'ready', 'error', 'deleting', 'deleted')),
      backend_name text,
      path text,
      last_error jsonb,
      allocated boolean NOT NULL,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT volumes_seq_uq UNIQUE (seq)
    )`);
    // Keyset pages walk seq; each filter gets (filter, seq) so a page is one index range.
    await q.query(`CREATE INDEX volumes_live_seq_idx ON "${s}".volumes (seq) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX volumes_pool_seq_idx ON "${s}".volumes (pool_id, seq)`);
    await q.query(`CREATE INDEX volumes_status_seq_idx ON "${s}".volumes (status, seq)`);
    await q.query(`CREATE INDEX volumes_tenant_seq_idx ON "${s}".volumes (tenant, seq)`);
    await q.query(`CREATE INDEX volumes_name_seq_idx ON "${s}".volumes (name, seq)`);
    // What a pool's usage is computed from when its own event arrives after its volumes'.
    await q.query(`CREATE INDEX volumes_pool_allocated_idx ON "${s}".volumes (pool_id) INCLUDE (size_bytes) WHERE allocated`);

    await q.query(`CREATE TABLE "${s}".aggregate_events (
      aggregate_id uuid NOT NULL,
      stream_version integer NOT NULL,
      message_id text NOT NULL,
      type text NOT NULL,
      occurred_at timestamptz NOT NULL,
      envelope jsonb NOT NULL,
      CONSTRAINT aggregate_events_pkey PRIMARY KEY (aggregate_id, stream_version)
    )`);

    await q.query(`CREATE TABLE "${s}".jobs (
      id text PRIMARY KEY,
      command_type text NOT NULL,
      aggregate_id text,
      tenant text,
      status text NOT NULL CHECK (status IN ('accepted', 'running', 'succeeded', 'failed')),
      result jsonb,
      error jsonb,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX jobs_aggregate_idx ON "${s}".jobs (aggregate_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${s}".jobs`);
    await q.query(`DROP TABLE "${s}".aggregate_events`);
    await q.query(`DROP TABLE "${s}".volumes`);
    await q.query(`DROP TABLE "${s}".pools`);
  }
}
