import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import type { SimExchange } from './simulator/linstor-simulator';

/**
 * The LINSTOR contract check: every exchange the tests make with the simulator (what the
 * client sends, what the simulator answers) is validated against the official spec,
 * LINBIT's rest_v1_openapi.yaml, copied to shared/reference beside the repository. Not a
 * test file itself (jest runs *.unit.spec.ts): linstor.unit.spec.ts records its traffic
 * here and asserts `violations()` is empty at the end.
 *
 * Documented exceptions, where the spec does not describe what the real controller does:
 * - ERROR_LIST_FOR_500: the spec's OperationFailed reply (500) is one ApiCallRc object,
 *   but the controller (ApiCallRcRestUtils.toResponse) answers every failure with an
 *   ApiCallRc list; such replies are checked as ApiCallRcList.
 * - UNDECLARED_ERROR_STATUS: many operations declare only their success status, yet the
 *   controller answers failures (404 not found, 500 failed, 401 from the token filter
 *   AuthenticationFilter) with an ApiCallRc list; those replies are checked as ApiCallRcList.
 * Single-object GETs (GET /v1/resource-definitions/{rd}, GET /v1/resource-groups/{rg}),
 * which the server has and the spec lacks, are not used by the client at all.
 */
/** The repository root: this file is libs/backends/src/linstor (or libs/backends/dist/linstor when built). */
export const repoRoot = (): string => resolve(__dirname, '..', '..', '..', '..');

export const SPEC_PATH = join(repoRoot(), '..', 'shared', 'reference', 'linstor-rest-v1-openapi.yaml');

type Json = Record<string, unknown>;

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly literalSegments: number;
  readonly pointer: string;
  readonly op: Json;
  readonly pathParameters: Json[];
}

export interface ContractReport {
  readonly checked: number;
  readonly exceptions: Readonly<Record<string, number>>;
  readonly operations: ReadonlySet<string>;
}

const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export class LinstorContract {
  private readonly spec: Json;
  private readonly ajv: Ajv;
  private readonly operations: Operation[] = [];
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly exchanges: SimExchange[] = [];

  constructor(specPath = SPEC_PATH) {
    if (!existsSync(specPath)) {
      throw new Error(
        `LINSTOR contract check: the official spec is missing at ${specPath}. It is shared/reference/linstor-rest-v1-openapi.yaml ` +
          'beside the repository (CI checks out shared/ there); without it the contract cannot be checked.',
      );
    }
    this.spec = parseYaml(readFileSync(specPath, 'utf8')) as Json;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    this.ajv.addSchema(this.spec, 'linstor');
    for (const [template, item] of Object.entries(this.spec.paths as Record<string, Json>)) {
      const pathParameters = (item.parameters as Json[] | undefined) ?? [];
      for (const method of ['get', 'post', 'put', 'delete', 'patch']) {
        const op = item[method] as Json | undefined;
        if (op === undefined) continue;
        const segments = template.split('/');
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))).join('/')}$`),
          literalSegments: segments.filter((s) => !/^\{.+\}$/.test(s)).length,
          pointer: `#/paths/${escapePointer(template)}/${method}`,
          op,
          pathParameters,
        });
      }
    }
  }

  record(exchange: SimExchange): void {
    this.exchanges.push(exchange);
  }

  get recorded(): readonly SimExchange[] {
    return this.exchanges;
  }

  /** Every violation, one line each: operation, method and path, status, and the schema error. */
  violations(): { problems: string[]; report: ContractReport } {
    const problems: string[] = [];
    const exceptions: Record<string, number> = {};
    const operations = new Set<string>();
    for (const exchange of this.exchanges) {
      const url = new URL(exchange.url, 'http://controller');
      const operation = this.operationFor(exchange.method, url.pathname);
      const where = `${exchange.method} ${url.pathname}${url.search}`;
      if (operation === undefined) {
        problems.push(`${where}: no operation in the spec has this method and path`);
        continue;
      }
      const id = String(operation.op.operationId ?? operation.template);
      operations.add(id);
      const label = `${id} (${where}) -> ${exchange.status}`;
      problems.push(...this.checkQuery(label, operation, url.searchParams));
      problems.push(...this.checkRequestBody(label, operation, exchange.requestBody));
      const exception = this.checkResponse(label, operation, exchange, problems);
      if (exception !== undefined) exceptions[exception] = (exceptions[exception] ?? 0) + 1;
    }
    return { problems, report: { checked: this.exchanges.length, exceptions, operations } };
  }

  private operationFor(method: string, path: string): Operation | undefined {
    return this.operations
      .filter((o) => o.method === method && o.pattern.test(path))
      .sort((a, b) => b.literalSegments - a.literalSegments)[0];
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: `linstor${pointer}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }

  private errorsOf(validate: ValidateFunction): string {
    return (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
  }

  private checkQuery(label: string, operation: Operation, query: URLSearchParams): string[] {
    const problems: string[] = [];
    const declared = new Map<string, Json>();
    const params = [...operation.pathParameters, ...((operation.op.parameters as Json[] | undefined) ?? [])].map((p) => this.deref(p));
    for (const p of params) if (p.in === 'query') declared.set(String(p.name), p);
    for (const name of new Set(query.keys())) {
      const param = declared.get(name);
      if (param === undefined) {
        problems.push(`${label}: query parameter '${name}' is not declared by the spec`);
        continue;
      }
      const schema = param.schema as Json;
      const values = query.getAll(name);
      const coerce = (value: string, type: unknown): unknown => (type === 'boolean' ? (value === 'true' ? true : value === 'false' ? false : value) : type === 'integer' ? (/^-?\d+$/.test(value) ? Number(value) : value) : value);
      const value = schema.type === 'array' ? values.map((v) => coerce(v, (schema.items as Json | undefined)?.type)) : coerce(values[0], schema.type);
      if (schema.type !== 'array' && values.length > 1) problems.push(`${label}: query parameter '${name}' is repeated but not an array`);
      const validate = this.ajv.compile(schema);
      if (!validate(value)) problems.push(`${label}: query parameter '${name}': ${this.errorsOf(validate)}`);
    }
    return problems;
  }

  private checkRequestBody(label: string, operation: Operation, body: string): string[] {
    const requestBody = operation.op.requestBody as Json | undefined;
    if (body.trim() === '') {
      return requestBody?.required === true ? [`${label}: the spec requires a request body, none was sent`] : [];
    }
    if (requestBody === undefined) return [`${label}: a request body was sent, the spec declares none`];
    const pointer = `${operation.pointer}/requestBody/content/application~1json/schema`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [`${label}: the request body is not JSON`];
    }
    const validate = this.validator(pointer);
    return validate(parsed) ? [] : [`${label}: request body: ${this.errorsOf(validate)}`];
  }

  /** Validates the reply; returns the name of the documented exception it needed, if any. */
  private checkResponse(label: string, operation: Operation, exchange: SimExchange, problems: string[]): string | undefined {
    let parsed: unknown;
    try {
      parsed = exchange.responseBody === '' ? undefined : JSON.parse(exchange.responseBody);
    } catch {
      problems.push(`${label}: the response body is not JSON`);
      return undefined;
    }
    const responses = operation.op.responses as Record<string, Json>;
    const status = String(exchange.status);
    const declared = responses[status] ?? responses.default;
    const asList = (exception: string): string => {
      const validate = this.validator('#/components/schemas/ApiCallRcList');
      if (!validate(parsed)) problems.push(`${label}: error reply (${exception}): ${this.errorsOf(validate)}`);
      return exception;
    };
    if (declared === undefined) {
      if (exchange.status >= 400) return asList('UNDECLARED_ERROR_STATUS');
      problems.push(`${label}: status ${status} is not declared for this operation`);
      return undefined;
    }
    const ref = typeof declared.$ref === 'string' ? declared.$ref : undefined;
    const base = ref !== undefined ? ref : `${operation.pointer}/responses/${escapePointer(status in responses ? status : 'default')}`;
    if (ref === '#/components/responses/OperationFailed' && Array.isArray(parsed)) return asList('ERROR_LIST_FOR_500');
    const content = ((ref !== undefined ? this.deref({ $ref: ref }) : declared).content as Json | undefined)?.['application/json'];
    if (content === undefined) {
      if (parsed !== undefined) problems.push(`${label}: a body was returned, the spec declares none for ${status}`);
      return undefined;
    }
    const validate = this.validator(`${base}/content/application~1json/schema`);
    if (!validate(parsed)) problems.push(`${label}: response body: ${this.errorsOf(validate)}`);
    return undefined;
  }

  private deref(node: Json): Json {
    const ref = node.$ref;
    if (typeof ref !== 'string') return node;
    let target: unknown = this.spec;
    for (const part of ref.replace(/^#\//, '').split('/')) target = (target as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return target as Json;
  }
}

