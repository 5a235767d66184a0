import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from './schema';

/**
 * Image stores, templates and their cached bases, projected from the image events topic;
 * a template's copies on the zones' image stores are a jsonb list on its row (always read
 * and written with it). Jobs gain a progress percent (a template's transfer, a deployment's
 * steps). Deployments index the deploy-ROOT sagas by what they wait for: the saga itself is
 * event-sourced in the orchestrator's events table; this row is written in the same
 * transaction as its events.
 */
export class Images1764500000000 implements MigrationInterface {
  name = 'Images1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${s}".image_stores (
      image_store_id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      name text NOT NULL,
      zone_id text NOT NULL,
      path text NOT NULL,
      capacity_bytes bigint NOT NULL,
      free_bytes bigint NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'removed')),
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT image_stores_seq_uq UNIQUE (seq)
    )`);
    await q.query(`CREATE INDEX image_stores_zone_seq_idx ON "${s}".image_stores (zone_id, seq)`);

    await q.query(`CREATE TABLE "${s}".templates (
      template_id uuid PRIMARY KEY,
      seq bigserial NOT NULL,
      name text NOT NULL,
      kind text NOT NULL,
      declared_format text NOT NULL,
      detected_format text,
      status text NOT NULL CHECK (status IN ('registering', 'ready', 'failed', 'deleting', 'deleted')),
      copies jsonb NOT NULL DEFAULT '[]',
      virtual_size_bytes bigint,
      physical_size_bytes bigint,
      sha256 text,
      checksum_declared jsonb,
      transfer_percent numeric,
      os_type text,
      description text,
      public boolean NOT NULL DEFAULT false,
      error jsonb,
      tenant text,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT templates_seq_uq UNIQUE (seq)
    )`);
    await q.query(`CREATE INDEX templates_live_seq_idx ON "${s}".templates (seq) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX templates_status_seq_idx ON "${s}".templates (status, seq)`);
    await q.query(`CREATE INDEX templates_tenant_seq_idx ON "${s}".templates (tenant, seq)`);

    await q.query(`CREATE TABLE "${s}".template_bases (
      base_id uuid PRIMARY KEY,
      template_id uuid NOT NULL,
      pool_id uuid NOT NULL,
      volume_id uuid,
      snapshot_id uuid,
      status text NOT NULL CHECK (status IN ('spooling', 'ready', 'failed', 'retiring', 'removed')),
      attempt integer NOT NULL,
      error jsonb,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX template_bases_template_idx ON "${s}".template_bases (template_id)`);

    await q.query(`ALTER TABLE "${s}".jobs ADD COLUMN progress numeric`);

    await q.query(`CREATE TABLE "${s}".deployments (
      volume_id uuid PRIMARY KEY,
      template_id uuid NOT NULL,
      pool_id uuid NOT NULL,
      base_id uuid NOT NULL,
      job_id text NOT NULL,
      status text NOT NULL,
      awaiting_command_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    // A saga is found by the base it waits on, or by the command a rejection answers.
    await q.query(`CREATE INDEX deployments_waiting_base_idx ON "${s}".deployments (base_id) WHERE status = 'spooling'`);
    await q.query(`CREATE INDEX deployments_awaiting_command_idx ON "${s}".deployments (awaiting_command_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${s}".deployments`);
    await q.query(`ALTER TABLE "${s}".jobs DROP COLUMN progress`);
    await q.query(`DROP TABLE "${s}".template_bases`);
    await q.query(`DROP TABLE "${s}".templates`);
    await q.query(`DROP TABLE "${s}".image_stores`);
  }
}
