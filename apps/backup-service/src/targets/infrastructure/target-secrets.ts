import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, ErrorCategory } from '@strata/kernel';
import { SecretBox, SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';

/**
 * Backup targets' credentials (an S3 secret key), sealed with STRATA_SECRET_KEY in
 * backup.target_secrets, beside (never inside) the event log.
 */
@Injectable()
export class TargetSecrets {
  private readonly box: SecretBox | null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
  ) {
    this.box = config.secretKey ? SecretBox.fromBase64(config.secretKey) : null;
  }

  /** Refuses up front a target with credentials when there is no key to seal them with. */
  assertCanSeal(): void {
    if (!this.box) {
      throw new DomainError(
        'backuptarget.secret_key_missing',
        ErrorCategory.Validation,
        'an s3 target needs its secret key kept, and the backup service has no STRATA_SECRET_KEY to keep it encrypted',
        { violations: [{ field: 'data.s3.secretAccessKey', rule: 'secretKeyConfigured', message: 'the backup service needs STRATA_SECRET_KEY to keep s3 credentials' }] },
      );
    }
  }

  /** Writes inside the caller's transaction, so the target and its secrets commit together. */
  async save(manager: EntityManager, targetId: string, secrets: Record<string, string>): Promise<void> {
    if (Object.keys(secrets).length === 0) return;
    this.assertCanSeal();
    await manager.query(
      `INSERT INTO "backup".target_secrets (target_id, sealed) VALUES ($1, $2)
       ON CONFLICT (target_id) DO UPDATE SET sealed = EXCLUDED.sealed`,
      [targetId, this.box!.seal(secrets)],
    );
  }

  async remove(manager: EntityManager, targetId: string): Promise<void> {
    await manager.query(`DELETE FROM "backup".target_secrets WHERE target_id = $1`, [targetId]);
  }

  async load(targetId: string): Promise<Record<string, unknown>> {
    const rows: { sealed: string }[] = await this.dataSource.query(`SELECT sealed FROM "backup".target_secrets WHERE target_id = $1`, [targetId]);
    if (rows.length === 0) return {};
    if (!this.box) {
      throw new DomainError(
        'backuptarget.secret_key_missing',
        ErrorCategory.IllegalState,
        `backup target ${targetId} has sealed credentials but STRATA_SECRET_KEY is not set`,
        { targetId },
      );
    }
    return this.box.open<Record<string, unknown>>(rows[0].sealed);
  }
}
