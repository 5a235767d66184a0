import type { EntityManager } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';

/**
 * The tables the projection derives from the event topics alone, and so what a rebuild
 * empties and replays. Not here, because the topics cannot bring them back: jobs (a job row
 * is written when a command is accepted, REST or the deploy saga, before any event names
 * it; replaying only moves a job forward, so events it has seen change nothing), the deploy
 * sagas' streams and their `deployments` index, the events and outbox, API keys.
 */
export const TOPIC_DERIVED_TABLES = [
  'pools',
  'volumes',
  'hosts',
  'pool_drift',
  'aggregate_events',
  'snapshots',
  'snapshot_policies',
  'vm_snapshots',
  'image_stores',
  'templates',
  'template_bases',
  'backup_targets',
  'backups',
  'restores',
  'backup_schedules',
] as const;

/** Empties them in the caller's transaction (TRUNCATE: instant at any size, and rolled back with it). */
export async function emptyTopicDerivedTables(m: EntityManager): Promise<void> {
  await m.query(`TRUNCATE ${TOPIC_DERIVED_TABLES.map((t) => `"${s}"."${t}"`).join(', ')}`);
}
