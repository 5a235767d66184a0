import type { DataSource, EntityManager } from 'typeorm';
import { assertSchemaName } from './schema-name';

export interface OutboxMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** What the relay needs from messaging; the Kafka publisher satisfies it. */
export interface OutboxPublisher {
  publish(messages: readonly OutboxMessage[]): Promise<void>;
}

export interface OutboxRelayOptions {
  readonly batchSize?: number;
  /** How often an idle relay looks for rows appended by other processes. */
  readonly idleMs?: number;
  readonly onError?: (error: unknown) => void;
  /** Published rows are kept this long (for inspection), then deleted; default one day. */
  readonly keepPublishedMs?: number;
  /** Test seam: runs after publishing and before marking, to simulate a crash there. */
  readonly afterPublish?: (ids: readonly string[]) => Promise<void>;
}

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * Publishes outbox rows in id order and marks them published. At-least-once: a crash
 * between publish and mark publishes again, and consumers dedupe by message id.
 * One relay per schema works at a time (a transaction-scoped advisory lock), which
 * keeps each aggregate's events in order even with several service instances.
 */
export class OutboxRelay {
  private readonly s: string;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private pending = false;
  private lastPurge = 0;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
    private readonly publisher: OutboxPublisher,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.s = assertSchemaName(schema);
    this.batchSize = options.batchSize ?? 500;
    this.idleMs = options.idleMs ?? 200;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Called after a local commit so the relay publishes without waiting for its poll. */
  kick(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Publishes one batch; returns how many rows it published. */
  async relayOnce(): Promise<number> {
    return this.dataSource.transaction(async (m: EntityManager) => {
      const [{ locked }] = await m.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [
        `strata-outbox:${this.s}`,
      ]);
      if (!locked) return 0;
      const rows: OutboxRow[] = await m.query(
        `SELECT id, topic, message_key, payload, headers FROM "${this.s}".outbox
          WHERE published_at IS NULL ORDER BY id LIMIT $1`,
        [this.batchSize],
      );
      if (rows.length === 0) return 0;
      await this.publisher.publish(
        rows.map((r) => ({ topic: r.topic, key: r.message_key, value: JSON.stringify(r.payload), headers: r.headers })),
      );
      const ids = rows.map((r) => String(r.id));
      if (this.options.afterPublish) await this.options.afterPublish(ids);
      await m.query(`UPDATE "${this.s}".outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
      return rows.length;
    });
  }

  /** Deletes rows published longer ago than `keepPublishedMs`; returns how many. */
  async purgePublished(): Promise<number> {
    const keepMs = this.options.keepPublishedMs ?? 24 * 3600 * 1000;
    const rows = await this.dataSource.query(
      `DELETE FROM "${this.s}".outbox WHERE published_at < now() - make_interval(secs => $1) RETURNING id`,
      [keepMs / 1000],
    );
    // The pg driver answers a DELETE ... RETURNING through TypeORM as [rows, count].
    return Array.isArray(rows[0]) ? rows[0].length : rows.length;
  }

  /** Rows not yet published: the outbox lag. */
  async backlog(): Promise<number> {
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM "${this.s}".outbox WHERE published_at IS NULL`,
    );
    return n;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.pending = false;
      let published = 0;
      try {
        published = await this.relayOnce();
        failures = 0;
        if (Date.now() - this.lastPurge > 10 * 60 * 1000) {
          this.lastPurge = Date.now();
          await this.purgePublished();
        }
      } catch (error) {
        failures += 1;
        this.options.onError?.(error);
      }
      if (!this.running) break;
      if (published === this.batchSize || (this.pending && failures === 0)) continue;
      // Back off on repeated failures (Kafka or PostgreSQL down), up to 5 s.
      const wait = failures > 0 ? Math.min(5000, 100 * 2 ** Math.min(failures, 6)) : this.idleMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
