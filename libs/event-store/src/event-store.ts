import type { DataSource, EntityManager } from 'typeorm';
import type { Envelope } from '@strata/contracts';
import { ConcurrencyError, DuplicateMessageError, uniqueViolation } from './errors';
import { assertSchemaName } from './schema-name';

/** An event as the caller hands it over; the store assigns its stream version. */
export type PendingEvent = Omit<Envelope, 'streamVersion' | 'kind'>;

export interface StoredEvent {
  readonly globalPosition: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly envelope: Envelope;
}

export interface AppendOptions {
  /** Publish the appended events to this topic, keyed by aggregate id, via the outbox. */
  readonly outboxTopic?: string;
  /** Record that this consumer has handled this message, in the same transaction. */
  readonly inbox?: { readonly consumer: string; readonly messageId: string };
}

export interface AppendResult {
  readonly nextExpectedVersion: number;
  readonly events: readonly StoredEvent[];
}

interface EventRow {
  global_position: string;
  stream_id: string;
  stream_version: number;
  message_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: Omit<Envelope, 'data' | 'type' | 'schemaVersion' | 'messageId' | 'streamVersion' | 'kind'>;
}

/**
 * An append-only event store on PostgreSQL, in one schema per service. Appends are
 * optimistic (expected version) and write the outbox and inbox rows in the same
 * transaction, so a published event is always a stored one and a handled command
 * is handled once.
 */
export interface EventStoreOptions {
  /**
   * Headers every outbox row is stored with, read at append or enqueue time: the trace
   * context of the work that wrote it, so the relay publishes it on (service-kit passes
   * messaging's currentTraceHeaders). Headers a caller gives win.
   */
  readonly outboxHeaders?: () => Record<string, string>;
}

export class PgEventStore {
  private readonly s: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
    private readonly options: EventStoreOptions = {},
  ) {
    this.s = assertSchemaName(schema);
  }

  get schema(): string {
    return this.s;
  }

  async readStream(streamId: string, manager?: EntityManager): Promise<StoredEvent[]> {
    const rows: EventRow[] = await (manager ?? this.dataSource.manager).query(
      `SELECT global_position, stream_id, stream_version, message_id, type, schema_version, data, metadata
         FROM "${this.s}".events WHERE stream_id = $1 ORDER BY stream_version`,
      [streamId],
    );
    return rows.map(toStored);
  }

  /** Events of every stream in global order, for rebuilding read models and recovery scans. */
  async readAll(afterPosition = '0', limit = 1000, manager?: EntityManager): Promise<StoredEvent[]> {
    const rows: EventRow[] = await (manager ?? this.dataSource.manager).query(
      `SELECT global_position, stream_id, stream_version, message_id, type, schema_version, data, metadata
         FROM "${this.s}".events WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
      [afterPosition, limit],
    );
    return rows.map(toStored);
  }

  /** Ids of every stream of a category (a prefix such as 'pool-'), oldest first. */
  async streamIds(prefix: string): Promise<string[]> {
    const rows: { stream_id: string }[] = await this.dataSource.query(
      `SELECT stream_id FROM "${this.s}".events WHERE stream_id LIKE $1 AND stream_version = 1 ORDER BY global_position`,
      [`${prefix.replace(/[%_\\]/g, '\\$&')}%`],
    );
    return rows.map((r) => r.stream_id);
  }

  /**
   * Streams whose newest event is one of `types`: the work a crash left half done.
   * `prefix` narrows to one stream category (e.g. 'volume-').
   */
  async streamsEndingWith(prefix: string, types: readonly string[]): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT e.global_position, e.stream_id, e.stream_version, e.message_id, e.type, e.schema_version, e.data, e.metadata
         FROM "${this.s}".events e
         JOIN (SELECT stream_id, max(stream_version) AS v FROM "${this.s}".events
                WHERE stream_id LIKE $1 GROUP BY stream_id) last
           ON last.stream_id = e.stream_id AND last.v = e.stream_version
        WHERE e.type = ANY($2) ORDER BY e.global_position`,
      [`${prefix.replace(/[%_\\]/g, '\\$&')}%`, types],
    );
    return rows.map(toStored);
  }

  /**
   * Appends `events` if the stream is still at `expectedVersion` (0 = new stream).
   * Throws ConcurrencyError when another writer got there first and DuplicateMessageError
   * when the inbox already holds the message.
   */
  async append(
    streamId: string,
    expectedVersion: number,
    events: readonly PendingEvent[],
    options: AppendOptions = {},
    manager?: EntityManager,
  ): Promise<AppendResult> {
    const run = (m: EntityManager) => this.appendIn(m, streamId, expectedVersion, events, options);
    try {
      return manager ? await run(manager) : await this.dataSource.transaction(run);
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === 'events_stream_version_uq') throw new ConcurrencyError(streamId, expectedVersion);
      if (constraint === 'inbox_pkey' && options.inbox) {
        throw new DuplicateMessageError(options.inbox.consumer, options.inbox.messageId);
      }
      throw error;
    }
  }

  private async appendIn(
    m: EntityManager,
    streamId: string,
    expectedVersion: number,
    events: readonly PendingEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    if (options.inbox) await this.markHandledIn(m, options.inbox.consumer, options.inbox.messageId);
    const [{ current }] = await m.query(
      `SELECT coalesce(max(stream_version), 0)::int AS current FROM "${this.s}".events WHERE stream_id = $1`,
      [streamId],
    );
    if (current !== expectedVersion) throw new ConcurrencyError(streamId, expectedVersion);

    const stored: StoredEvent[] = [];
    const headers = JSON.stringify(this.options.outboxHeaders?.() ?? {});
    let version = expectedVersion;
    for (const event of events) {
      version += 1;
      const envelope: Envelope = { ...event, kind: 'event', streamVersion: version };
      const { data, type, schemaVersion, messageId, streamVersion: _v, kind: _k, ...metadata } = envelope;
      const [row] = await m.query(
        `INSERT INTO "${this.s}".events (stream_id, stream_version, message_id, type, schema_version, data, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING global_position`,
        [streamId, version, messageId, type, schemaVersion, JSON.stringify(data), JSON.stringify(metadata)],
      );
      stored.push({ globalPosition: String(row.global_position), streamId, streamVersion: version, envelope });
      if (options.outboxTopic) {
        await m.query(
          `INSERT INTO "${this.s}".outbox (topic, message_key, payload, headers) VALUES ($1, $2, $3, $4)`,
          [options.outboxTopic, envelope.aggregateId, JSON.stringify(envelope), headers],
        );
      }
    }
    return { nextExpectedVersion: version, events: stored };
  }

  /** Runs `work` in one transaction; pass the manager on to append() to join it. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Queues a message (a command, say) for the relay inside the caller's transaction, so it
   * is published if and only if the caller's other writes commit.
   */
  async enqueue(
    manager: EntityManager,
    message: { readonly topic: string; readonly key: string; readonly payload: unknown; readonly headers?: Record<string, string> },
  ): Promise<void> {
    await manager.query(`INSERT INTO "${this.s}".outbox (topic, message_key, payload, headers) VALUES ($1, $2, $3, $4)`, [
      message.topic,
      message.key,
      JSON.stringify(message.payload),
      JSON.stringify({ ...(this.options.outboxHeaders?.() ?? {}), ...(message.headers ?? {}) }),
    ]);
  }

  async isHandled(consumer: string, messageId: string, manager?: EntityManager): Promise<boolean> {
    const rows = await (manager ?? this.dataSource.manager).query(
      `SELECT 1 FROM "${this.s}".inbox WHERE consumer = $1 AND message_id = $2`,
      [consumer, messageId],
    );
    return rows.length > 0;
  }

  /**
   * Claims a message for a consumer inside the caller's transaction; false when it was
   * already handled (the caller then skips its effect).
   */
  async claim(manager: EntityManager, consumer: string, messageId: string): Promise<boolean> {
    const rows = await manager.query(
      `INSERT INTO "${this.s}".inbox (consumer, message_id) VALUES ($1, $2)
       ON CONFLICT ON CONSTRAINT inbox_pkey DO NOTHING RETURNING 1`,
      [consumer, messageId],
    );
    return rows.length > 0;
  }

  private async markHandledIn(m: EntityManager, consumer: string, messageId: string): Promise<void> {
    await m.query(`INSERT INTO "${this.s}".inbox (consumer, message_id) VALUES ($1, $2)`, [consumer, messageId]);
  }
}

function toStored(row: EventRow): StoredEvent {
  return {
    globalPosition: String(row.global_position),
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    envelope: {
      ...row.metadata,
      kind: 'event',
      messageId: row.message_id,
      type: row.type,
      schemaVersion: row.schema_version,
      streamVersion: row.stream_version,
      data: row.data,
    },
  };
}
