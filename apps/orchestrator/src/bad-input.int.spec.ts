import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { createTestInfra, type TestInfra, useInfraEnv } from '@strata/testing';
import { AppModule } from './app.module';
import { setUpOpenApi } from './http/openapi';

/**
 * Generated bad request bodies against every POST, PUT and PATCH the orchestrator documents
 * (read from its own /docs-json, so a new endpoint is covered without a change here), with
 * the app in-process on the real PostgreSQL and Kafka. Never a 5xx; every 400 names the
 * field and the rule of each violation. One seed per run, printed: STRATA_FUZZ_SEED repeats
 * it, STRATA_FUZZ_RUNS sets the bodies per endpoint.
 */
const SEED = Number(process.env.STRATA_FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.STRATA_FUZZ_RUNS ?? 15);
/** Routes whose call changes more than its own resource: the rebuild replays every read model. */
const LEFT_OUT = new Set(['POST /read-models/rebuild']);

interface OpenApiSchema {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly items?: OpenApiSchema;
  readonly enum?: readonly unknown[];
  readonly allOf?: readonly OpenApiSchema[];
}

interface Endpoint {
  readonly method: string;
  readonly path: string;
  readonly bodySchema?: OpenApiSchema;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

/** Values that break a field's rules in the ways clients get them wrong, as JSON can carry them. */
const badJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, 0, -1, 0.5, 1e-7, 2 ** 53 + 1, '', ' ', 'NaN', '\u0000', '\ud800', '𝕊𝕥𝕣𝕒𝕥𝕒', 'x'.repeat(5000), [], [null], {}, [[[]]]),
  fc.constantFrom<unknown>(JSON.parse('{"__proto__":{"admin":true}}'), JSON.parse('{"constructor":{"prototype":{"admin":true}}}'), { toString: 'x' }),
  fc.string({ maxLength: 60 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('orchestrator REST API under generated bad bodies', () => {
  const ADMIN_KEY = `stk_${randomBytes(32).toString('base64url')}`;
  let infra: TestInfra;
  let app: INestApplication;
  let baseUrl: string;
  let endpoints: Endpoint[];
  let components: Readonly<Record<string, OpenApiSchema>>;
  const answered: string[] = [];
  const UNPARSEABLE_MESSAGE = 'request body is not valid JSON';
  let unparseableWithoutViolations = 0;

  beforeAll(async () => {
    console.log(`orchestrator bad-input fuzz: seed ${SEED}, ${RUNS} bodies per endpoint (STRATA_FUZZ_SEED=${SEED} STRATA_FUZZ_RUNS=${RUNS} to repeat)`);
    infra = await createTestInfra('badinput');
    useInfraEnv(infra);
    process.env.STRATA_BOOTSTRAP_ADMIN_KEY = ADMIN_KEY;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpOpenApi(app);
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const document = (await (await fetch(`${baseUrl}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: OpenApiSchema }> } }>>;
      components?: { schemas?: Record<string, OpenApiSchema> };
    };
    components = document.components?.schemas ?? {};
    endpoints = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([method]) => ['post', 'put', 'patch'].includes(method))
        .map(([method, operation]) => ({ method: method.toUpperCase(), path, bodySchema: operation.requestBody?.content?.['application/json']?.schema }))
        .filter((e) => !LEFT_OUT.has(`${e.method} ${e.path}`)),
    );
  }, 120_000);

  afterAll(async () => {
    delete process.env.STRATA_BOOTSTRAP_ADMIN_KEY;
    await app?.close();
    await infra?.dispose();
  });

  const resolve = (schema: OpenApiSchema | undefined, depth = 0): OpenApiSchema | undefined => {
    if (!schema || depth > 5) return schema;
    if (schema.$ref) return resolve(components[schema.$ref.split('/').pop()!], depth + 1);
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0], depth + 1);
    return schema;
  };

  /** Bodies shaped like the endpoint's documented one (so they get past unknown-field checks) with wrong values, and bodies of noise. */
  const bodies = (endpoint: Endpoint): fc.Arbitrary<unknown> => {
    const schema = resolve(endpoint.bodySchema);
    const fields = Object.keys(schema?.properties ?? {});
    const shaped = (depth: number): fc.Arbitrary<unknown> => {
      if (fields.length === 0) return fc.dictionary(fc.string({ maxLength: 12 }), badJson, { maxKeys: 3 });
      const model = Object.fromEntries(
        fields.map((field) => {
          const property = resolve(schema!.properties![field]);
          const nested = property?.properties && depth < 2 ? fc.dictionary(fc.constantFrom(...Object.keys(property.properties)), badJson, { maxKeys: 4 }) : badJson;
          const enumerated = property?.enum?.length ? fc.constantFrom(...property.enum) : badJson;
          return [field, fc.oneof(badJson, nested, enumerated)];
        }),
      );
      return fc.record(model, { requiredKeys: [] });
    };
    return fc.oneof(
      { weight: 3, arbitrary: shaped(0) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.tuple(shaped(0), fc.string({ minLength: 1, maxLength: 20 }), badJson).map(([b, k, v]) => ({ ...(b as object), [`x-${k}`]: v })) },
    );
  };

  const concrete = (path: string, id: string) => path.replace(/\{[^}]+\}/g, id);

  async function send(method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>): Promise<Answer> {
    const response = await fetch(`${baseUrl}${path}`, { method, body, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers } });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
  }

  /** What every answer to a bad request must be; returns a description of what is wrong, or undefined. */
  function problemWith(answer: Answer): string | undefined {
    if (answer.status >= 500) return `a ${answer.status}: ${answer.text.slice(0, 300)}`;
    if (answer.status < 400) return undefined;
    const body = answer.body as { statusCode?: unknown; code?: unknown; message?: unknown; violations?: unknown } | undefined;
    if (!body || typeof body.code !== 'string' || body.code.length === 0) return `a ${answer.status} without a code: ${answer.text.slice(0, 300)}`;
    if (body.statusCode !== answer.status || typeof body.message !== 'string') return `a ${answer.status} not in the error shape: ${answer.text.slice(0, 300)}`;
    if (answer.status !== 400) return undefined;
    if (!Array.isArray(body.violations) && body.message === UNPARSEABLE_MESSAGE) {
      // Known gap, asserted on its own below: the parser's 400 names no field yet.
      unparseableWithoutViolations += 1;
      return undefined;
    }
    if (!Array.isArray(body.violations) || body.violations.length === 0) return `a 400 (${body.code}) without violations: ${answer.text.slice(0, 300)}`;
    const bad = (body.violations as { field?: unknown; rule?: unknown }[]).find(
      (v) => typeof v.field !== 'string' || v.field.length === 0 || typeof v.rule !== 'string' || v.rule.length === 0,
    );
    return bad ? `a 400 (${body.code}) with a violation that names no field or rule: ${JSON.stringify(bad)}` : undefined;
  }

  /** One line per kind of failure (the endpoint's name and the body left out), with its count and a first example. */
  function summary(failures: readonly string[]): string {
    const kinds = new Map<string, { count: number; example: string }>();
    for (const failure of failures) {
      const kind = failure.slice(failure.lastIndexOf(': a ') + 2).replace(/\{.*$/, '').trim();
      const entry = kinds.get(kind) ?? { count: 0, example: failure };
      entry.count += 1;
      kinds.set(kind, entry);
    }
    return [...kinds].map(([kind, { count, example }]) => `${count} x ${kind}\n    e.g. ${example.slice(0, 400)}`).join('\n');
  }

  it('reads the POST, PUT and PATCH endpoints from the OpenAPI document', () => {
    expect(endpoints.length).toBeGreaterThan(20);
    expect(endpoints.map((e) => `${e.method} ${e.path}`)).toEqual(expect.arrayContaining(['POST /pools', 'POST /volumes', 'PATCH /pools/{id}']));
  });

  it('answers generated JSON bodies on every endpoint without a 5xx, each 400 naming field and rule', async () => {
    const failures: string[] = [];
    const tenant = fc.oneof(fc.constant(undefined), fc.constant('fuzz-tenant'), fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 }));
    for (const [index, endpoint] of endpoints.entries()) {
      const cases = fc.sample(fc.tuple(bodies(endpoint), tenant, fc.boolean()), { seed: SEED + index, numRuns: RUNS });
      // A few at a time: enough to be quick, few enough that the app's pool is never the limit.
      for (let i = 0; i < cases.length; i += 8) {
        await Promise.all(
          cases.slice(i, i + 8).map(async ([body, xTenant, existingShape]) => {
            const path = concrete(endpoint.path, existingShape ? randomUUID() : 'not-a-uuid');
            const text = JSON.stringify(body) ?? 'null';
            const answer = await send(endpoint.method, path, text, { 'content-type': 'application/json', ...(xTenant ? { 'x-tenant': xTenant.trim() || 'x' } : {}) });
            answered.push(`${endpoint.method} ${endpoint.path} ${answer.status}`);
            const problem = problemWith(answer);
            if (problem) failures.push(`${endpoint.method} ${path} with ${text.slice(0, 300)}: ${problem}`);
          }),
        );
      }
    }
    if (failures.length > 0) throw new Error(`${failures.length} bad answers (seed ${SEED}):\n${summary(failures)}`);
    // Something was refused by its body: the fuzz reached validation, not only routing.
    expect(answered.filter((a) => a.endsWith(' 400')).length).toBeGreaterThan(endpoints.length);
  });

  it('answers bodies that are not JSON, the wrong content type, and oversized bodies without a 5xx', async () => {
    const failures: string[] = [];
    const raw: { label: string; body: string | Buffer | undefined; contentType?: string }[] = [
      { label: 'truncated JSON', body: '{"name": "a', contentType: 'application/json' },
      { label: 'not JSON', body: 'name=a&size=1', contentType: 'application/json' },
      { label: 'empty JSON body', body: '', contentType: 'application/json' },
      { label: 'JSON with a BOM', body: '\uFEFF{}', contentType: 'application/json' },
      { label: 'bytes that are not UTF-8', body: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x7d]), contentType: 'application/json' },
      { label: 'a form', body: 'name=a&sizeBytes=1', contentType: 'application/x-www-form-urlencoded' },
      { label: 'XML', body: '<volume><name>a</name></volume>', contentType: 'application/xml' },
      { label: 'text', body: '{"name":"a"}', contentType: 'text/plain' },
      { label: 'no content type', body: '{"name":"a"}' },
      { label: 'JSON deeper than any schema', body: `{"name":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, contentType: 'application/json' },
      { label: 'a 2 MiB body', body: JSON.stringify({ name: 'x'.repeat(2 * 2 ** 20) }), contentType: 'application/json' },
      { label: 'a charset JSON cannot have', body: '{}', contentType: 'application/json; charset=ebcdic' },
    ];
    const statuses = new Set<number>();
    for (const endpoint of endpoints) {
      await Promise.all(
        raw.map(async ({ label, body, contentType }) => {
          const answer = await send(endpoint.method, concrete(endpoint.path, randomUUID()), body, contentType ? { 'content-type': contentType } : {});
          statuses.add(answer.status);
          const problem = problemWith(answer);
          if (problem) failures.push(`${endpoint.method} ${endpoint.path} with ${label}: ${problem}`);
        }),
      );
    }
    if (failures.length > 0) throw new Error(`${failures.length} bad answers:\n${summary(failures)}`);
    // The oversized body is refused as such, not read.
    expect(statuses).toContain(413);
  });

  it('names the body as the field at fault when it is not JSON at all', async () => {
    // The fuzz above counts these; the error filter (http/api-exception.filter.ts) answers the body
    // parser's 400 with code and message only, so a client cannot tell the field and rule.
    console.log(`unparseable bodies answered without violations during the fuzz: ${unparseableWithoutViolations}`);
    const answer = await send('POST', '/volumes', '{"name": "a', { 'content-type': 'application/json' });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      statusCode: 400,
      code: 'request.invalid',
      message: UNPARSEABLE_MESSAGE,
      violations: [expect.objectContaining({ field: 'body', rule: expect.any(String), message: expect.any(String) })],
    });
  });
});
