import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, ErrorCategory } from '@strata/kernel';
import { SecretBox, SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';

/**
 * The credentials of a pool's backend (a PowerFlex password, a StorPool token): split
 * from the configuration before anything is recorded, sealed with STRATA_SECRET_KEY and
 * stored beside (never inside) the event log. The table is the storage service's (its
 * migration and its writes); the other services that call backends (snapshots) only read
 * it, so the credentials are kept once.
 */
@Injectable()
export class PoolSecrets {
  private readonly box: SecretBox | null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
  ) {
    this.box = config.secretKey ? SecretBox.fromBase64(config.secretKey) : null;
  }

  /** Writes inside the caller's transaction, so the pool and its secrets commit together. */
  async save(manager: EntityManager, poolId: string, secrets: Record<string, unknown>): Promise<void> {
    if (Object.keys(secrets).length === 0) return;
    if (!this.box) {
      throw new DomainError(
        'pool.secret_key_missing',
        ErrorCategory.Validation,
        'this pool needs credentials, and the storage service has no STRATA_SECRET_KEY to keep them encrypted',
      );
    }
    await manager.query(
      `INSERT INTO "storage".pool_secrets (pool_id, sealed) VALUES ($1, $2)
       ON CONFLICT (pool_id) DO UPDATE SET sealed = EXCLUDED.sealed`,
      [poolId, this.box.seal(secrets)],
    );
  }

  async load(poolId: string): Promise<Record<string, unknown>> {
    const rows: { sealed: string }[] = await this.dataSource.query(`SELECT sealed FROM "storage".pool_secrets WHERE pool_id = $1`, [poolId]);
    if (rows.length === 0) return {};
    if (!this.box) throw new Error(`pool ${poolId} has sealed credentials but STRATA_SECRET_KEY is not set`);
    return this.box.open<Record<string, unknown>>(rows[0].sealed);
  }
}

/** Splits a config into what may be recorded and shown, and the credentials. */
export function splitSecrets(
  config: Record<string, unknown>,
  secretKeys: readonly string[],
): { visible: Record<string, unknown>; secrets: Record<string, unknown> } {
  const visible: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (secretKeys.includes(key)) secrets[key] = value;
    else visible[key] = value;
  }
  return { visible, secrets };
}
