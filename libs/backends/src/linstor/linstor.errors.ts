import { BackendError, type BackendErrorKind } from '@strata/plugin-sdk';

/**
 * LINSTOR reply codes (linstor-common consts.json). A ret_code is a signed int64:
 * bits 62-63 the type (error, warning, info), bits 24-25 the operation, bits 18-22
 * the object, bits 0-14 the code. Error codes are beyond 2^53, so they are kept as
 * BigInt from the raw JSON text (parseLinstorJson) and never pass through a double.
 */
export const RC = {
  MASK_TYPE: 0xc000000000000000n,
  MASK_ERROR: 0xc000000000000000n,
  MASK_WARN: 0x8000000000000000n,
  MASK_INFO: 0x4000000000000000n,
  MASK_CODE: 0x7fffn,
  MASK_CRT: 0x1000000n,
  MASK_MOD: 0x2000000n,
  MASK_DEL: 0x3000000n,
  MASK_NODE: 0x3c0000n,
  MASK_RSC_DFN: 0x380000n,
  MASK_RSC: 0x340000n,
  MASK_VLM_DFN: 0x300000n,
  MASK_SNAPSHOT: 0xc0000n,
  MASK_RSC_GRP: 0x440000n,
} as const;

/** Codes (the low 15 bits) the driver and the simulator use. */
export const CODE = {
  CREATED: 1,
  DELETED: 2,
  MODIFIED: 3,
  FAIL_SQL: 100,
  FAIL_SQL_ROLLBACK: 101,
  FAIL_INVLD_RSC_NAME: 202,
  FAIL_INVLD_VLM_SIZE: 206,
  FAIL_INVLD_SNAPSHOT_NAME: 218,
  FAIL_INVLD_PLACE_COUNT: 219,
  FAIL_INVLD_STOR_DRIVER: 221,
  FAIL_INVLD_VLM_SIZES: 228,
  FAIL_NOT_FOUND_NODE: 300,
  FAIL_NOT_FOUND_RSC_DFN: 301,
  FAIL_NOT_FOUND_RSC: 302,
  FAIL_NOT_FOUND_VLM_DFN: 303,
  FAIL_NOT_FOUND_STOR_POOL: 310,
  FAIL_NOT_FOUND_SNAPSHOT_DFN: 313,
  FAIL_NOT_FOUND_SNAPSHOT: 315,
  FAIL_NOT_FOUND_RSC_GRP: 317,
  FAIL_ACC_DENIED_COMMAND: 412,
  FAIL_EXISTS_RSC_DFN: 501,
  FAIL_EXISTS_RSC: 502,
  FAIL_EXISTS_VLM_DFN: 503,
  FAIL_EXISTS_SNAPSHOT_DFN: 514,
  FAIL_EXISTS_SNAPSHOT: 516,
  FAIL_EXISTS_RSC_GRP: 522,
  FAIL_RSC_BUSY: 992,
  FAIL_NOT_ENOUGH_NODES: 996,
  FAIL_IN_USE: 997,
  FAIL_UNKNOWN_ERROR: 999,
  WARN_NOT_FOUND: 3000,
} as const;

/** A reply entry with its ret_code exact. */
export interface ApiCallRc {
  readonly ret_code: bigint;
  readonly message: string;
  readonly cause?: string;
  readonly details?: string;
  readonly correction?: string;
  readonly error_report_ids?: readonly string[];
  readonly obj_refs?: Readonly<Record<string, string>>;
}

export type RcType = 'error' | 'warning' | 'info' | 'success';

/** The type bits; error is tested first because its mask contains both others. */
export function rcType(retCode: bigint): RcType {
  const type = BigInt.asUintN(64, retCode) & RC.MASK_TYPE;
  if (type === RC.MASK_ERROR) return 'error';
  if (type === RC.MASK_WARN) return 'warning';
  if (type === RC.MASK_INFO) return 'info';
  return 'success';
}

export function rcCode(retCode: bigint): number {
  return Number(BigInt.asUintN(64, retCode) & RC.MASK_CODE);
}

/** A signed int64 ret_code from its parts, as the controller builds it (MASK_ERROR | code). */
export function retCode(type: RcType, code: number, op = 0n, obj = 0n): bigint {
  const mask = type === 'error' ? RC.MASK_ERROR : type === 'warning' ? RC.MASK_WARN : type === 'info' ? RC.MASK_INFO : 0n;
  return BigInt.asIntN(64, mask | op | obj | BigInt(code));
}

/**
 * JSON.parse that keeps every ret_code exact: the reviver reads the number's source
 * text (Node 21+ passes it as context.source). Where a runtime gives no source text,
 * ret_code numbers are quoted in the raw text first, which gives the same result.
 */
export function parseLinstorJson(text: string): unknown {
  let sawContext = false;
  const reviver = function (this: unknown, key: string, value: unknown, context?: { source?: string }): unknown {
    if (context !== undefined) sawContext = true;
    if (key === 'ret_code') {
      if (typeof value === 'number' && context?.source !== undefined) return BigInt(context.source);
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
      if (typeof value === 'number') return BigInt(Math.trunc(value));
    }
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown;
  const parsed: unknown = JSON.parse(text, reviver);
  if (sawContext || !text.includes('"ret_code"')) return parsed;
  return JSON.parse(text.replace(/("ret_code"\s*:\s*)(-?\d+)/g, '$1"$2"'), reviver);
}

/** Serialises a reply with exact int64 ret_codes (JSON.stringify cannot write a BigInt). */
export function stringifyLinstorJson(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') {
      marks.push(v.toString());
      return `\u0000bigint${marks.length - 1}\u0000`;
    }
    return v;
  });
  return text.replace(/"\\u0000bigint(\d+)\\u0000"/g, (_m, index: string) => marks[Number(index)]);
}

/** Reads an ApiCallRc list (or a single entry, as the spec's OperationFailed shows it) from a parsed body. */
export function apiCallRcs(body: unknown): ApiCallRc[] {
  const items = Array.isArray(body) ? body : body !== null && typeof body === 'object' ? [body] : [];
  return items.filter(
    (item): item is ApiCallRc =>
      item !== null && typeof item === 'object' && typeof (item as { ret_code?: unknown }).ret_code === 'bigint' && typeof (item as { message?: unknown }).message === 'string',
  );
}

export function firstError(rcs: readonly ApiCallRc[]): ApiCallRc | undefined {
  return rcs.find((rc) => rcType(rc.ret_code) === 'error');
}

/** How each LINSTOR failure code maps into the taxonomy, with a stable plugin code. */
export function classifyCode(code: number): { kind: BackendErrorKind; code: string } {
  switch (code) {
    case CODE.FAIL_NOT_ENOUGH_NODES:
      return { kind: 'capacity', code: 'linstor.not_enough_nodes' };
    case CODE.FAIL_IN_USE:
      return { kind: 'conflict', code: 'linstor.in_use' };
    case CODE.FAIL_RSC_BUSY:
      return { kind: 'transient', code: 'linstor.busy' };
    case CODE.FAIL_EXISTS_SNAPSHOT_DFN:
      return { kind: 'conflict', code: 'linstor.has_snapshots' };
    case CODE.FAIL_UNKNOWN_ERROR:
      return { kind: 'terminal', code: 'linstor.unknown_error' };
    default:
      break;
  }
  // Ranges from consts.json: 100-199 SQL, 200-299 invalid, 300-399 not found, 400-499 access denied, 500-599 exists.
  if (code >= 100 && code < 200) return { kind: 'transient', code: 'linstor.database' };
  if (code >= 200 && code < 300) return { kind: 'invalid', code: 'linstor.invalid' };
  if (code >= 300 && code < 400) return { kind: 'not_found', code: 'linstor.not_found' };
  if (code >= 400 && code < 500) return { kind: 'terminal', code: 'linstor.access_denied' };
  if (code >= 500 && code < 600) return { kind: 'conflict', code: 'linstor.exists' };
  return { kind: 'terminal', code: 'linstor.failed' };
}

/**
 * The BackendError for a LINSTOR reply: by the first error entry's code when the body has
 * one, else by HTTP status (a 5xx without an ApiCallRc is a proxy or a controller that is
 * starting: transient). 401/403 are terminal because LINSTOR tokens are static: there is no
 * login to renew. `what` names the operation and object, never the token.
 */
export function toLinstorError(what: string, status: number, body: unknown): BackendError {
  const rcs = apiCallRcs(body);
  const error = firstError(rcs);
  if (status === 401 || status === 403) {
    return new BackendError('terminal', 'linstor.unauthorized', `${what}: authentication failed: the LINSTOR controller refused the request (HTTP ${status}${error ? `: ${error.message}` : ''}); LINSTOR tokens are static, so check the pool's bearer token`, {
      details: { status, retCode: error?.ret_code.toString() },
    });
  }
  if (error !== undefined) {
    const code = rcCode(error.ret_code);
    const mapped = classifyCode(code);
    const extra = [error.cause, error.details].filter((part): part is string => typeof part === 'string' && part !== '').join(' ');
    return new BackendError(mapped.kind, mapped.code, `${what}: ${error.message}${extra ? ` (${extra})` : ''}`, {
      details: { status, retCode: error.ret_code.toString(), linstorCode: code },
    });
  }
  if (status >= 500) {
    return new BackendError('transient', 'linstor.server_error', `${what}: the LINSTOR controller answered HTTP ${status} without a reply code`, { details: { status } });
  }
  if (status === 404) return new BackendError('not_found', 'linstor.not_found', `${what}: not found (HTTP 404)`, { details: { status } });
  return new BackendError(status >= 400 && status < 500 ? 'invalid' : 'terminal', 'linstor.unexpected_reply', `${what}: unexpected HTTP ${status} from the LINSTOR controller`, {
    details: { status },
  });
}
