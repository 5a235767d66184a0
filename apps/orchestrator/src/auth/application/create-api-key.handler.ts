import { Injectable } from '@nestjs/common';
import { PgEventStore } from '@strata/event-store';
import { Clock, IdGenerator } from '@strata/service-kit';
import { invalidRequest } from '../../errors';
import { apiKeyStream, tenantViolations } from '../domain/api-key';
import { hashApiKey, newApiKeySecret, shownPrefix } from '../domain/api-key-secret';
import type { Principal } from '../domain/principal';
import type { Role } from '../roles.decorator';
import { ApiKeyEntity } from '../infrastructure/api-key.entity';
import { apiKeyEvent } from './api-key-events';

export interface NewApiKey {
  readonly name: string;
  readonly role: Role;
  readonly tenant?: string;
}

/** POST /api-keys: the row and its ApiKeyCreated event in one transaction; the secret leaves only in the answer. */
@Injectable()
export class CreateApiKeyHandler {
  constructor(
    private readonly events: PgEventStore,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async execute(request: NewApiKey, actor: Principal, correlationId: string | null): Promise<{ key: ApiKeyEntity; secret: string }> {
    const violations = tenantViolations(request.role, request.tenant);
    if (violations.length) throw invalidRequest(violations);
    const secret = newApiKeySecret();
    const key = await this.events.transaction(async (m) => {
      const row = m.getRepository(ApiKeyEntity).create({
        id: this.ids.newId(),
        name: request.name,
        role: request.role,
        tenant: request.tenant ?? null,
        prefix: shownPrefix(secret),
        secretHash: hashApiKey(secret),
        createdBy: actor.keyId,
        createdAt: this.clock.now(),
        revokedAt: null,
        revokedBy: null,
        lastUsedAt: null,
      });
      await m.getRepository(ApiKeyEntity).insert(row);
      const data = { keyId: row.id, name: row.name, role: row.role, tenant: row.tenant, prefix: row.prefix, createdBy: actor.keyId };
      await this.events.append(apiKeyStream(row.id), 0, [apiKeyEvent('ApiKeyCreated', row.id, row.tenant, data, correlationId, { ids: this.ids, clock: this.clock })], {}, m);
      return m.getRepository(ApiKeyEntity).findOneByOrFail({ id: row.id });
    });
    return { key, secret };
  }
}
