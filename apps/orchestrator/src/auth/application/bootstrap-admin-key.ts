import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { apiKeyStream } from '../domain/api-key';
import { BOOTSTRAP_KEY_VARIABLE, hashApiKey, shownPrefix } from '../domain/api-key-secret';
import { ApiKeyEntity } from '../infrastructure/api-key.entity';
import { apiKeyEvent } from './api-key-events';
import { AUTH_CONFIG, type AuthConfig } from './auth-config';

export const BOOTSTRAP_KEY_NAME = 'bootstrap';

/**
 * At start, before the API listens: makes sure the key STRATA_BOOTSTRAP_ADMIN_KEY names
 * exists as an admin key called `bootstrap`. Several instances may start at once: the
 * unique hash lets one insert win and the others find it.
 *
 * A bootstrap key that was revoked stays revoked: a restart must not bring a key back that
 * an admin took away (perhaps because it leaked). Setting a new value bootstraps again.
 */
@Injectable()
export class BootstrapAdminKey implements OnModuleInit {
  private readonly log = new Logger('ApiKeys');

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly events: PgEventStore,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    const secret = this.config.bootstrapKey;
    if (secret === null) {
      const [{ n }] = await this.events.transaction((m) => m.query(`SELECT count(*)::int AS n FROM "${this.events.schema}".api_keys WHERE role = 'admin' AND revoked_at IS NULL`));
      if (n === 0) this.log.warn(`no active admin API key and ${BOOTSTRAP_KEY_VARIABLE} is not set: nobody can call the API`);
      return;
    }
    await this.events.transaction(async (m) => {
      const id = this.ids.newId();
      const prefix = shownPrefix(secret);
      const inserted: { id: string }[] = await m.query(
        `INSERT INTO "${this.events.schema}".api_keys (id, name, role, tenant, prefix, secret_hash, created_by, created_at)
         VALUES ($1, $2, 'admin', NULL, $3, $4, NULL, $5)
         ON CONFLICT ON CONSTRAINT api_keys_secret_hash_uq DO NOTHING RETURNING id`,
        [id, BOOTSTRAP_KEY_NAME, prefix, hashApiKey(secret), this.clock.now()],
      );
      if (inserted.length === 1) {
        const data = { keyId: id, name: BOOTSTRAP_KEY_NAME, role: 'admin' as const, tenant: null, prefix, createdBy: null };
        await this.events.append(apiKeyStream(id), 0, [apiKeyEvent('ApiKeyCreated', id, null, data, null, { ids: this.ids, clock: this.clock })], {}, m);
        this.log.log(`bootstrap admin key ${id} (${prefix}...) created from ${BOOTSTRAP_KEY_VARIABLE}`);
        return;
      }
      const existing = await m.getRepository(ApiKeyEntity).findOneBy({ secretHash: hashApiKey(secret) });
      if (existing?.revokedAt) {
        this.log.warn(`${BOOTSTRAP_KEY_VARIABLE} names API key ${existing.id}, which was revoked: it stays revoked; set a new value to bootstrap again`);
      }
    });
  }
}
