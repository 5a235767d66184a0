// Test support (named .spec.ts so only tests may import it; not a test file itself).
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { BOOTSTRAP_KEY_VARIABLE, newApiKeySecret } from './domain/api-key-secret';
import type { Role } from './roles.decorator';

/** A fresh admin key, set as STRATA_BOOTSTRAP_ADMIN_KEY for the app the test is about to compile. */
export function useBootstrapAdminKey(): string {
  const key = newApiKeySecret();
  process.env[BOOTSTRAP_KEY_VARIABLE] = key;
  return key;
}

/** Requests that carry `Authorization: Bearer <key>`. */
export function withKey(app: INestApplication, key: string) {
  return request.agent(app.getHttpServer()).set('authorization', `Bearer ${key}`);
}

/** Makes a key through the API (as the admin key) and answers its id and secret. */
export async function makeApiKey(app: INestApplication, adminKey: string, role: Role, tenant?: string): Promise<{ id: string; key: string }> {
  const res = await withKey(app, adminKey)
    .post('/api-keys')
    .send({ name: `test-${role}`, role, ...(tenant === undefined ? {} : { tenant }) });
  if (res.status !== 201) throw new Error(`POST /api-keys answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { id: res.body.id, key: res.body.key };
}
