import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** The name of the security scheme every operation but the public ones requires. */
export const BEARER_SCHEME = 'bearer';

/** Paths anyone may call: liveness and readiness (the documentation is served outside Nest and holds no data). */
const PUBLIC_PATHS = new Set(['/health', '/health/ready']);

const ERROR_SCHEMA = { $ref: '#/components/schemas/ErrorView' };

/**
 * Every operation needs a bearer API key (the document-wide security requirement) except
 * the public ones, which say so with an empty requirement; each guarded operation documents
 * the 401 (missing or invalid key) and 403 (role) answers unless it already describes its 403.
 */
export function withAccessControl(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const) {
      const operation = item[method];
      if (!operation) continue;
      if (PUBLIC_PATHS.has(path)) {
        operation.security = [];
        continue;
      }
      operation.responses['401'] ??= {
        description: 'auth.missing_key: no Authorization: Bearer <key>; auth.invalid_key: unknown or revoked key. Answered with WWW-Authenticate: Bearer',
        content: { 'application/json': { schema: ERROR_SCHEMA } },
      };
      operation.responses['403'] ??= {
        description: "auth.forbidden: the key's role may not do this (the message names the roles that may)",
        content: { 'application/json': { schema: ERROR_SCHEMA } },
      };
    }
  }
  return document;
}

/** OpenAPI at /docs (UI) and /docs-json (the document). */
export function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Strata orchestrator')
    .setDescription(
      'Storage pools, volumes, volume snapshots, hypervisor hosts, image stores and templates (with ROOT volumes deployed from them), their event histories and jobs, and the storage plugins pools are made of. Commands answer 202 with a job id; ' +
        'follow the job at GET /jobs/{id}. Errors: { statusCode, code, message, violations? }. ' +
        'Every request but GET /health and GET /health/ready carries Authorization: Bearer <API key>; roles admin, operator and tenant (docs/api-access.md).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (stk_...): POST /api-keys makes one; STRATA_BOOTSTRAP_ADMIN_KEY the first' }, BEARER_SCHEME)
    .addSecurityRequirements(BEARER_SCHEME)
    .addTag('plugins')
    .addTag('pools')
    .addTag('volumes')
    .addTag('snapshots')
    .addTag('hosts')
    .addTag('image-stores')
    .addTag('templates')
    .addTag('jobs')
    .addTag('api-keys')
    .build();
  SwaggerModule.setup('docs', app, () => withAccessControl(SwaggerModule.createDocument(app, config)), { jsonDocumentUrl: 'docs-json' });
}
