import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * Volume operations, hosts and pool drift. Volumes gain the statuses attached (ready with
 * hosts) and resizing, their provisioning, QoS, attachments, a resize in flight and how
 * allocation chose their pool; volumes projected before this were thin, unlimited and
 * attached nowhere. Hosts and pools' drift records get tables of their own.
 *
 * A pool's drift events are published under the pool id with versions of their own (the
 * storage service keeps them in a stream apart), so the history's key gains the stream:
 * (aggregate_id, stream, stream_version), '' for an aggregate's own stream.
 */
export class VolumeOperations1764000000000 implements MigrationInterface {
  name = 'VolumeOperations1764000000000';

  async up(q: QueryRunner): Promise<void> {
    // The inline CHECK of the first migration, named by PostgreSQL's rule.
    await q.query(`ALTER TABLE "${s}".volumes DROP CONSTRAINT volumes_status_check`);
    await q.query(`ALTER TABLE "${s}".volumes
      ADD CONSTRAINT volumes_status_check
        CHECK (status IN ('creating', 'ready', 'attached', 'resizing', 'error', 'deleting', 'deleted')),
      ADD COLUMN provisioning text NOT NULL DEFAULT 'thin' CHECK (provisioning IN ('thin', 'thick')),
      ADD COLUMN qos jsonb,
      ADD COLUMN attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN resize_to_bytes bigint,
      ADD COLUMN allocation jsonb`);
    // A pool's usage counts a grow in flight at its new size: the index covers both sizes.
    await q.query(`DROP INDEX "${s}".volumes_pool_allocated_idx`);
    await q.query(`CREATE INDEX volumes_pool_allocated_idx ON "${s}".volumes (pool_id) INCLUDE (size_bytes, resize_to_bytes) WHERE allocated`);

    await q.query(`CREATE TABLE "${s}".hosts (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      name text NOT NULL,
      zone_id text NOT NULL,
      cluster_id text,
      hypervisor text NOT NULL,
      identities jsonb NOT NULL DEFAULT '{}'::jsonb,
      status text NOT NULL CHECK (status IN ('registered', 'deregistered')),
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT hosts_seq_uq UNIQUE (seq)
    )`);
    // GET /hosts pages by seq, without the deregistered ones unless asked, or by status, zone or cluster.
    await q.query(`CREATE INDEX hosts_live_seq_idx ON "${s}".hosts (seq) WHERE status <> 'deregistered'`);
    await q.query(`CREATE INDEX hosts_status_seq_idx ON "${s}".hosts (status, seq)`);
    await q.query(`CREATE INDEX hosts_zone_seq_idx ON "${s}".hosts (zone_id, seq)`);
    await q.query(`CREATE INDEX hosts_cluster_seq_idx ON "${s}".hosts (cluster_id, seq)`);

    await q.query(`CREATE TABLE "${s}".pool_drift (
      pool_id uuid PRIMARY KEY,
      state text NOT NULL CHECK (state IN ('never_reconciled', 'drift', 'clear')),
      orphans jsonb NOT NULL DEFAULT '[]'::jsonb,
      missing jsonb NOT NULL DEFAULT '[]'::jsonb,
      detected_at timestamptz,
      removals jsonb NOT NULL DEFAULT '[]'::jsonb,
      version integer NOT NULL,
      updated_at timestamptz NOT NULL
    )`);

    await q.query(`ALTER TABLE "${s}".aggregate_events ADD COLUMN stream text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE "${s}".aggregate_events DROP CONSTRAINT aggregate_events_pkey`);
    await q.query(`ALTER TABLE "${s}".aggregate_events
      ADD CONSTRAINT aggregate_events_pkey PRIMARY KEY (aggregate_id, stream, stream_version)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "${s}".aggregate_events WHERE stream <> ''`);
    await q.query(`ALTER TABLE "${s}".aggregate_events DROP CONSTRAINT aggregate_events_pkey`);
    await q.query(`ALTER TABLE "${s}".aggregate_events ADD CONSTRAINT aggregate_events_pkey PRIMARY KEY (aggregate_id, stream_version)`);
    await q.query(`ALTER TABLE "${s}".aggregate_events DROP COLUMN stream`);
    await q.query(`DROP TABLE "${s}".pool_drift`);
    await q.query(`DROP TABLE "${s}".hosts`);
    // Statuses the old constraint does not know fold into the nearest it does.
    await q.query(`UPDATE "${s}".volumes SET status = 'ready' WHERE status IN ('attached', 'resizing')`);
    await q.query(`ALTER TABLE "${s}".volumes DROP CONSTRAINT volumes_status_check`);
    await q.query(`DROP INDEX "${s}".volumes_pool_allocated_idx`);
    await q.query(`ALTER TABLE "${s}".volumes
      DROP COLUMN allocation,
      DROP COLUMN resize_to_bytes,
      DROP COLUMN attachments,
      DROP COLUMN qos,
      DROP COLUMN provisioning,
      ADD CONSTRAINT volumes_status_check CHECK (status IN ('creating', 'ready', 'error', 'deleting', 'deleted'))`);
    await q.query(`CREATE INDEX volumes_pool_allocated_idx ON "${s}".volumes (pool_id) INCLUDE (size_bytes) WHERE allocated`);
  }
}
