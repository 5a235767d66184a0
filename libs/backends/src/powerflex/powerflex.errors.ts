import { BackendError, type BackendErrorKind } from '@strata/plugin-sdk';

/** The gateway's error body: {message, httpStatusCode, errorCode, details?:[{error, rc, errorMessage}]}. */
export interface PowerFlexErrorBody {
  readonly message?: string;
  readonly httpStatusCode?: number;
  readonly errorCode?: number;
  readonly details?: readonly { readonly error?: string; readonly rc?: number; readonly errorMessage?: string }[];
}

interface Rule {
  readonly kind: BackendErrorKind;
  readonly code: string;
}

/**
 * Domain errors by their code.properties name. PowerFlex answers nearly all of them with
 * HTTP 500, so the name (or the errorCode / rc) decides, never the status alone.
 */
export const POWERFLEX_ERROR_NAMES: Readonly<Record<string, Rule>> = {
  VOL_NAME_IN_USE: { kind: 'conflict', code: 'powerflex.name_in_use' },
  VOL_SIZE_ILLEGAL: { kind: 'invalid', code: 'powerflex.size_illegal' },
  VOL_DECREASE_NOT_SUPPORTED: { kind: 'invalid', code: 'volume.shrink_not_allowed' },
  INVALID_NAME: { kind: 'invalid', code: 'powerflex.invalid_name' },
  NAME_TOO_LONG: { kind: 'invalid', code: 'powerflex.invalid_name' },
  VTREE_ID_MISMATCH: { kind: 'invalid', code: 'powerflex.vtree_mismatch' },
  VOLUME_AND_SNAPSHOT_MATCH: { kind: 'invalid', code: 'powerflex.same_volume' },
  SRC_VOL_LARGER_THAN_DEST: { kind: 'invalid', code: 'powerflex.source_larger' },
  VOL_ALREADY_MAPPED_TO_THIS_INI: { kind: 'conflict', code: 'powerflex.already_mapped' },
  VOL_NOT_MAPPED_TO_INI: { kind: 'not_found', code: 'powerflex.not_mapped' },
  NOT_ALLOWED_MORE_THAN_ONE_MAPPING: { kind: 'conflict', code: 'powerflex.single_mapping' },
  VOL_MAPPED: { kind: 'conflict', code: 'powerflex.volume_mapped' },
  // A rule of the VTree, not of the pool: another pool cannot take the snapshot, and
  // repeating fails until snapshots are deleted, hence 'invalid' rather than 'capacity'.
  TOO_MANY_SNAPS_IN_VTREE: { kind: 'invalid', code: 'powerflex.vtree_snapshot_limit' },
  INVALID_IOPS_LIMIT: { kind: 'invalid', code: 'powerflex.qos_invalid' },
  INVALID_BW_LIMIT: { kind: 'invalid', code: 'powerflex.qos_invalid' },
  INSUFFICIENT_CAPACITY: { kind: 'capacity', code: 'powerflex.insufficient_capacity' },
  VTREE_MIGRATION_IN_PROGRESS: { kind: 'conflict', code: 'powerflex.migration_in_progress' },
  VTREE_ALREADY_ON_DESTINATION: { kind: 'conflict', code: 'powerflex.already_on_destination' },
};

/** errorCode / rc numbers known from the vendor's clients (backend-apis.md §1). */
const ERROR_CODES: Readonly<Record<number, Rule>> = {
  3: { kind: 'not_found', code: 'powerflex.not_found' },
  78: { kind: 'not_found', code: 'powerflex.not_found' },
  79: { kind: 'not_found', code: 'powerflex.not_found' },
  182: POWERFLEX_ERROR_NAMES.TOO_MANY_SNAPS_IN_VTREE as Rule,
  717: POWERFLEX_ERROR_NAMES.VTREE_MIGRATION_IN_PROGRESS as Rule,
  718: POWERFLEX_ERROR_NAMES.VTREE_ALREADY_ON_DESTINATION as Rule,
};

export function parseErrorBody(text: string): PowerFlexErrorBody | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as PowerFlexErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps a gateway error answer into the taxonomy. `operation` names what was attempted and
 * on which object ('create volume vol-...'); the message carries the gateway's own text but
 * never the request, so credentials cannot leak into it.
 */
export function toPowerFlexError(status: number, text: string, operation: string): BackendError {
  const body = parseErrorBody(text);
  const detail = body?.details?.[0];
  const vendorMessage =
    body?.message === 'Error with details' && detail?.errorMessage !== undefined ? detail.errorMessage : (body?.message ?? text.slice(0, 200));
  const errorCode = typeof body?.errorCode === 'number' ? body.errorCode : undefined;
  const details = {
    httpStatus: status,
    ...(errorCode === undefined ? {} : { errorCode }),
    ...(detail?.error === undefined ? {} : { vendorError: detail.error }),
    ...(detail?.rc === undefined ? {} : { rc: detail.rc }),
  };
  const rule = classify(status, body);
  const suffix = detail?.error === undefined ? '' : ` [${detail.error}]`;
  return new BackendError(rule.kind, rule.code, `${operation} failed: PowerFlex gateway answered ${status}: ${vendorMessage}${suffix}`, {
    details,
  });
}

function classify(status: number, body: PowerFlexErrorBody | undefined): Rule {
  if (status === 401) return { kind: 'terminal', code: 'powerflex.unauthorized' };
  if (status === 403) return { kind: 'terminal', code: 'powerflex.forbidden' };
  const detail = body?.details?.[0];
  const byName = detail?.error === undefined ? undefined : POWERFLEX_ERROR_NAMES[detail.error];
  if (byName !== undefined) return byName;
  const byRc = detail?.rc === undefined ? undefined : ERROR_CODES[detail.rc];
  if (byRc !== undefined) return byRc;
  const byCode = body?.errorCode === undefined ? undefined : ERROR_CODES[body.errorCode];
  if (byCode !== undefined) return byCode;
  if (status === 400 || status === 422) return { kind: 'invalid', code: 'powerflex.bad_request' };
  if (status === 404 || status === 204) return { kind: 'not_found', code: 'powerflex.not_found' };
  if (status === 502 || status === 503 || status === 504 || status === 429) return { kind: 'transient', code: 'powerflex.unavailable' };
  if (status >= 500) {
    // A 500 naming a domain error we do not know needs a person; a bare one (errorCode 0, no
    // details) is the gateway failing to reach the MDM and passes.
    if (detail?.error !== undefined || (body?.errorCode ?? 0) !== 0) return { kind: 'terminal', code: 'powerflex.unexpected' };
    return { kind: 'transient', code: 'powerflex.server_error' };
  }
  return { kind: 'terminal', code: 'powerflex.unexpected' };
}
