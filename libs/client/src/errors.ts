/** One broken rule of a refused request, as the API names it. */
export interface Violation {
  readonly field: string;
  readonly rule: string;
  readonly message?: string;
}

/**
 * Every failure the client reports: an error answer of the API ({statusCode, code, message,
 * violations?}), or one of the client's own with status 0 (client.unreachable, client.timeout).
 */
export class StrataApiError extends Error {
  override readonly name = 'StrataApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly violations: readonly Violation[] = [],
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }

  /** From an error answer; a body that is not the API's error shape still gives status and text. */
  static async fromResponse(response: Response): Promise<StrataApiError> {
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (isErrorBody(body)) {
      return new StrataApiError(response.status, body.code, body.message, violationsOf(body.violations));
    }
    const message = text.trim().slice(0, 500) || response.statusText || `HTTP ${response.status}`;
    return new StrataApiError(response.status, `http.${response.status}`, message);
  }
}

function isErrorBody(body: unknown): body is { code: string; message: string; violations?: unknown } {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { code?: unknown }).code === 'string' &&
    typeof (body as { message?: unknown }).message === 'string'
  );
}

/** Violations as the API and job errors carry them; anything malformed is dropped, not trusted. */
export function violationsOf(value: unknown): Violation[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((v): v is { field: string; rule: string; message?: unknown } => typeof v?.field === 'string' && typeof v?.rule === 'string')
    .map((v) => ({ field: v.field, rule: v.rule, ...(typeof v.message === 'string' ? { message: v.message } : {}) }));
}
