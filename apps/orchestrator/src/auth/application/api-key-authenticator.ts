import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@strata/service-kit';
import { DataSource } from 'typeorm';
import { hashApiKey, MAX_KEY_LENGTH } from '../domain/api-key-secret';
import type { Principal } from '../domain/principal';
import { ApiKeyEntity } from '../infrastructure/api-key.entity';

/** How long a looked-up key is trusted without asking the database again. */
const CACHE_MS = 5_000;
/** last_used_at is written at most this often per key: every request writing it would double the load. */
const LAST_USED_EVERY_MS = 60_000;
/** A bound on the cache: keys beyond it are simply looked up again. */
const MAX_CACHED = 10_000;

interface Cached {
  readonly principal: Principal | null;
  readonly until: number;
}

/**
 * Turns a bearer secret into the key's principal, or null (unknown or revoked). Lookups are
 * cached for a few seconds; a key revoked through this instance is dropped from the cache
 * at once (forget), so it stops working here immediately (other instances within CACHE_MS).
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly log = new Logger('ApiKeys');
  private readonly cache = new Map<string, Cached>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async authenticate(secret: string): Promise<Principal | null> {
    if (secret.length === 0 || secret.length > MAX_KEY_LENGTH) return null;
    const hash = hashApiKey(secret);
    const now = this.clock.now().getTime();
    const cached = this.cache.get(hash);
    let principal: Principal | null;
    if (cached && cached.until > now) {
      principal = cached.principal;
    } else {
      const row = await this.dataSource.getRepository(ApiKeyEntity).findOne({ where: { secretHash: hash } });
      principal = row && row.revokedAt === null ? { keyId: row.id, role: row.role, tenant: row.tenant } : null;
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(hash, { principal, until: now + CACHE_MS });
    }
    if (principal) await this.noteUse(principal.keyId, now);
    return principal;
  }

  /** A key was revoked (or changed): stop trusting what the cache holds for it. */
  forget(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal?.keyId === keyId) this.cache.delete(hash);
  }

  private async noteUse(keyId: string, now: number): Promise<void> {
    const written = this.lastUsedWritten.get(keyId);
    if (written !== undefined && now - written < LAST_USED_EVERY_MS) return;
    if (this.lastUsedWritten.size >= MAX_CACHED) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(keyId, now);
    try {
      await this.dataSource.getRepository(ApiKeyEntity).update({ id: keyId }, { lastUsedAt: new Date(now) });
    } catch (error) {
      // The request is authenticated either way; a missed timestamp is not worth refusing it.
      this.log.warn(`could not record the use of API key ${keyId}: ${(error as Error).message}`);
    }
  }
}
