import type { MigrationInterface, QueryRunner } from 'typeorm';
import { assertSchemaName } from './schema-name';

/**
 * The event store's tables, created in a service's own schema. A factory, because each
 * service migrates its own schema with the same steps; the class name carries TypeORM's
 * timestamp so the steps order the same everywhere.
 */
export function eventStoreMigrations(schemaName: string): (new () => MigrationInterface)[] {
  const s = assertSchemaName(schemaName);

  class EventStoreInit1763700000000 implements MigrationInterface {
    name = 'EventStoreInit1763700000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE "${s}".events (
        global_position bigserial PRIMARY KEY,
        stream_id text NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version > 0),
        message_id uuid NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_stream_version_uq UNIQUE (stream_id, stream_version),
        CONSTRAINT events_message_id_uq UNIQUE (message_id)
      )`);
      await q.query(`CREATE INDEX events_type_idx ON "${s}".events (type)`);
      // Append-only: the store never updates or deletes an event, and neither may anyone else.
      await q.query(`CREATE FUNCTION "${s}".events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'events are append-only'; END $$`);
      await q.query(`CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON "${s}".events
        FOR EACH ROW EXECUTE FUNCTION "${s}".events_append_only()`);
      await q.query(`CREATE TABLE "${s}".outbox (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        message_key text NOT NULL,
        payload jsonb NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
      await q.query(`CREATE INDEX outbox_unpublished_idx ON "${s}".outbox (id) WHERE published_at IS NULL`);
      await q.query(`CREATE TABLE "${s}".inbox (
        consumer text NOT NULL,
        message_id text NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT inbox_pkey PRIMARY KEY (consumer, message_id)
      )`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE "${s}".inbox`);
      await q.query(`DROP TABLE "${s}".outbox`);
      await q.query(`DROP TABLE "${s}".events`);
      await q.query(`DROP FUNCTION "${s}".events_append_only()`);
    }
  }
  return [EventStoreInit1763700000000];
}
