import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { apiKeyNotFound, apiKeyStream, decideRevocation } from '../domain/api-key';
import type { Principal } from '../domain/principal';
import { ApiKeyEntity } from '../infrastructure/api-key.entity';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { apiKeyEvent } from './api-key-events';

/**
 * DELETE /api-keys/{id}: marks the key revoked and records ApiKeyRevoked in one
 * transaction, then drops it from this instance's cache so it stops working at once.
 */
@Injectable()
export class RevokeApiKeyHandler {
  constructor(
    private readonly events: PgEventStore,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async execute(id: string, actor: Principal, correlationId: string | null): Promise<ApiKeyEntity> {
    const key = await this.events.transaction(async (m) => {
      const keys = m.getRepository(ApiKeyEntity);
      // Every active admin row locked, in one order: two revocations of the last two admin
      // keys then run one after the other, and the second sees only one left.
      const admins: { id: string }[] = await keys
        .createQueryBuilder('k')
        .select('k.id', 'id')
        .where(`k.role = 'admin' AND k.revokedAt IS NULL`)
        .orderBy('k.id')
        .setLock('pessimistic_write')
        .getRawMany();
      const row = await keys.createQueryBuilder('k').where('k.id = :id', { id }).setLock('pessimistic_write').getOne();
      if (!row) throw apiKeyNotFound(id);
      if (decideRevocation(row, admins.length).kind === 'already_revoked') return row;
      row.revokedAt = this.clock.now();
      row.revokedBy = actor.keyId;
      await keys.update({ id }, { revokedAt: row.revokedAt, revokedBy: row.revokedBy });
      const version = (await this.events.readStream(apiKeyStream(id), m)).length;
      await this.events.append(apiKeyStream(id), version, [apiKeyEvent('ApiKeyRevoked', id, row.tenant, { keyId: id, revokedBy: actor.keyId }, correlationId, { ids: this.ids, clock: this.clock })], {}, m);
      return row;
    });
    this.authenticator.forget(id);
    return key;
  }
}
