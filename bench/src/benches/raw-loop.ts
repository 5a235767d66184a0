import { randomUUID } from 'node:crypto';
import { createServiceDataSource, initializeServiceDataSource } from '@strata/event-store';
import type { MessageBus, Subscription } from '@strata/messaging';
import { Pool } from 'pg';

/**
 * The raw ceiling of this machine for the service's command path: the same consumer
 * settings as CommandIntake (our kafkajs adapter, 6 partitions, 3 consumed at once, one
 * message at a time), one PostgreSQL transaction per command on the event store's own
 * tables (inbox mark, stream version read, event row, outbox row), then the outcome
 * produced and the outbox row marked published. No decider, no backend, no second
 * (intent) transaction: what is left is the floor any implementation of the path pays.
 */
export class RawLoop {
  private sub?: Subscription;
  private pool?: Pool;
  private readonly schema = 'rawloop';

  constructor(
    private readonly bus: MessageBus,
    private readonly databaseUrl: string,
    private readonly topics: { commands: string; events: string },
  ) {}

  async start(): Promise<void> {
    // The event store's own migrations: the same tables, indexes and constraints as a service's.
    const ds = createServiceDataSource({ url: this.databaseUrl, schema: this.schema });
    await initializeServiceDataSource(ds);
    await ds.destroy();
    this.pool = new Pool({ connectionString: this.databaseUrl, max: 10 });
    await this.bus.ensureTopics([
      { topic: this.topics.commands, numPartitions: 6 },
      { topic: this.topics.events, numPartitions: 6 },
    ]);
    this.sub = await this.bus.subscribe({
      groupId: 'bench-raw-loop',
      topics: [this.topics.commands],
      fromBeginning: true,
      partitionsConsumedConcurrently: 3,
      handle: async (m) => this.handle(JSON.parse(m.value!.toString('utf8')) as { messageId: string; type: string; aggregateId: string; correlationId: string; tenant: string }),
    });
  }

  private async handle(cmd: { messageId: string; type: string; aggregateId: string; correlationId: string; tenant: string }): Promise<void> {
    const s = this.schema;
    const type = cmd.type === 'CreateVolume' ? 'VolumeCreated' : 'VolumeDeleted';
    const streamId = `volume-${cmd.aggregateId}`;
    const c = await this.pool!.connect();
    let envelope: Record<string, unknown>;
    let outboxId: string;
    try {
      await c.query('BEGIN');
      await c.query(`INSERT INTO "${s}".inbox (consumer, message_id) VALUES ($1, $2)`, ['raw', cmd.messageId]);
      const cur = await c.query<{ v: number }>(`SELECT coalesce(max(stream_version), 0)::int AS v FROM "${s}".events WHERE stream_id = $1`, [streamId]);
      const version = (cur.rows[0]?.v ?? 0) + 1;
      const data = { volumeId: cmd.aggregateId };
      const metadata = { aggregateId: cmd.aggregateId, occurredAt: new Date().toISOString(), correlationId: cmd.correlationId, causationId: cmd.messageId, tenant: cmd.tenant };
      const messageId = randomUUID();
      await c.query(
        `INSERT INTO "${s}".events (stream_id, stream_version, message_id, type, schema_version, data, metadata) VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING global_position`,
        [streamId, version, messageId, type, JSON.stringify(data), JSON.stringify(metadata)],
      );
      envelope = { messageId, kind: 'event', type, schemaVersion: 1, streamVersion: version, ...metadata, data };
      const row = await c.query<{ id: string }>(`INSERT INTO "${s}".outbox (topic, message_key, payload) VALUES ($1, $2, $3) RETURNING id`, [
        this.topics.events,
        cmd.aggregateId,
        JSON.stringify(envelope),
      ]);
      outboxId = row.rows[0]!.id;
      await c.query('COMMIT');
    } catch (error) {
      await c.query('ROLLBACK').catch(() => undefined);
      c.release();
      throw error;
    }
    c.release();
    await this.bus.publish([{ topic: this.topics.events, key: cmd.aggregateId, value: JSON.stringify(envelope) }]);
    await this.pool!.query(`UPDATE "${s}".outbox SET published_at = now() WHERE id = $1`, [outboxId]);
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
    await this.pool?.end();
  }
}
