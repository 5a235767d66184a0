import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createTestInfra, type TestInfra, useInfraEnv } from '@strata/testing';
import { AppModule } from './app.module';
import { useBootstrapAdminKey } from './auth/api-key-testing.spec';
import { setUpOpenApi } from './http/openapi';

const DOCUMENT_FILE = path.join(__dirname, '..', '..', '..', 'libs', 'client', 'openapi.json');
const UPDATE_COMMAND = 'run STRATA_UPDATE_OPENAPI=1 npm run test:int -- apps/orchestrator/src/openapi-document.int.spec.ts';

/** Objects with their keys sorted, at every depth (arrays keep their order): a stable file to diff. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/**
 * libs/client/openapi.json is the orchestrator's /docs-json, checked in: the typed client is
 * generated from it, so an endpoint change that is not carried into the file fails here.
 */
describe('the OpenAPI document in libs/client', () => {
  let infra: TestInfra;
  let app: INestApplication;

  beforeAll(async () => {
    infra = await createTestInfra('openapi');
    useInfraEnv(infra);
    useBootstrapAdminKey(); // the app starts as it would in production; /docs-json itself needs no key
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpOpenApi(app);
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await infra?.dispose();
  });

  it('is what GET /docs-json serves', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const served = `${JSON.stringify(sortKeys(res.body), null, 2)}\n`;
    if (process.env.STRATA_UPDATE_OPENAPI === '1') {
      await writeFile(DOCUMENT_FILE, served);
    }
    const stored = await readFile(DOCUMENT_FILE, 'utf8').catch(() => '');
    if (stored !== served) {
      throw new Error(`libs/client/openapi.json differs from what the orchestrator serves at /docs-json: ${UPDATE_COMMAND}`);
    }
  });
});
