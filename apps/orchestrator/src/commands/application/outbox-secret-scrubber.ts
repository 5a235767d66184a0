import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Periodic } from '@strata/service-kit';
import { DataSource } from 'typeorm';
import { ORCHESTRATOR_SCHEMA as s } from '../../read-model/infrastructure/schema';
import { COMMAND_SECRET_PATHS, REDACTED } from '../domain/command-secrets';

/** How often published rows are looked for while a command with a credential waits in the outbox. */
const SCRUB_INTERVAL_MS = 250;

/**
 * Keeps credentials out of the orchestrator's database: a command that carries one (an S3
 * secret) must sit in the outbox until the relay has published it (the outbox is the only safe
 * way out), and the relay keeps published rows a day for inspection. This redacts each such row
 * as soon as it is published. Rows of commands sent before a restart are found at start (the
 * published ones redacted at once, the others watched), so a crash leaves none behind.
 */
@Injectable()
export class OutboxSecretScrubber implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('OutboxSecrets');
  private readonly waiting = new Set<string>();
  private readonly periodic = new Periodic(SCRUB_INTERVAL_MS, () => this.scrub().catch((e) => this.log.warn(`scrub failed: ${(e as Error).message}`)));

  constructor(private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const [type, paths] of Object.entries(COMMAND_SECRET_PATHS)) {
      for (const path of paths ?? []) {
        const rows: { id: string }[] = await this.dataSource.query(
          `SELECT payload->>'messageId' AS id FROM "${s}".outbox
            WHERE payload->>'type' = $1 AND payload #> $2::text[] IS NOT NULL AND payload #>> $2::text[] <> $3`,
          [type, path, REDACTED],
        );
        for (const row of rows) this.waiting.add(row.id);
      }
    }
    await this.scrub();
    this.periodic.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.periodic.stop();
  }

  /** A command with a credential was written to the outbox: redact it once it is published. */
  watch(messageId: string): void {
    this.waiting.add(messageId);
  }

  /** Redacts the watched rows already published; returns how many. */
  async scrub(): Promise<number> {
    if (this.waiting.size === 0) return 0;
    // The rows published now, and the ones gone, settled first: a row the relay publishes
    // while this runs waits for the next round rather than being dropped half redacted.
    const found: { id: string; published: boolean }[] = await this.dataSource.query(
      `SELECT payload->>'messageId' AS id, published_at IS NOT NULL AS published FROM "${s}".outbox WHERE payload->>'messageId' = ANY($1::text[])`,
      [[...this.waiting]],
    );
    const present = new Set(found.map((r) => r.id));
    for (const id of [...this.waiting]) if (!present.has(id)) this.waiting.delete(id);
    const published = found.filter((r) => r.published).map((r) => r.id);
    if (published.length === 0) return 0;
    for (const [type, paths] of Object.entries(COMMAND_SECRET_PATHS)) {
      for (const path of paths ?? []) {
        await this.dataSource.query(
          `UPDATE "${s}".outbox SET payload = jsonb_set(payload, $2::text[], to_jsonb($3::text))
            WHERE payload->>'type' = $1 AND payload->>'messageId' = ANY($4::text[]) AND payload #> $2::text[] IS NOT NULL`,
          [type, path, REDACTED, published],
        );
      }
    }
    for (const id of published) this.waiting.delete(id);
    return published.length;
  }
}
