import { BackendError, isBackendError, JsonHttpClient } from '@strata/plugin-sdk';
import { StorPoolApiError } from './storpool.errors';

export interface StorPoolClientOptions {
  readonly host: string;
  readonly port: number;
  readonly authToken: string;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  /** Prefix volume and snapshot queries with MultiCluster/ (CloudStack, os-brick). */
  readonly multiCluster: boolean;
  readonly transientRetries: number;
  readonly transientRetryBaseMs: number;
  /** Replaceable so that tests can observe the backoff without waiting for it. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Queries python-storpool sends as MultiCluster/<Query> when multi-cluster mode is on. */
const MULTI_CLUSTER_QUERIES = new Set([
  'VolumesList',
  'Volume',
  'VolumesSpace',
  'VolumeCreate',
  'VolumeUpdate',
  'VolumeDelete',
  'VolumeRevert',
  'VolumeSnapshot',
  'VolumesGroupSnapshot',
  'SnapshotsList',
  'SnapshotsSpace',
  'Snapshot',
  'SnapshotDelete',
  'AttachmentsList',
  'VolumesReassign',
  'VolumesReassignWait',
]);

/**
 * The StorPool management API (`/ctrl/1.0/<Query>`), as python-storpool's
 * spapi.Api speaks it: the `Authorization: Storpool v1:<token>` header on
 * every call (there is no session, so a 401 cannot be cured by logging in
 * again), JSON bodies on POST and `?json=` on GET, `{data}` on success and
 * `{error:{name,descr,transient}}` otherwise. Errors marked transient, and
 * refused or reset connections, are retried the vendor's way: up to
 * `transientRetries` times, retry n sleeping base * 2^n. A timeout is not
 * retried (the vendor client does not either: the call may have happened).
 */
export class StorPoolClient {
  private readonly http: JsonHttpClient;
  private readonly authHeader: string;
  private readonly sleep: (ms: number) => Promise<void>;
  /** host:port, for messages: the token never goes into one. */
  readonly endpoint: string;

  constructor(private readonly options: StorPoolClientOptions) {
    this.endpoint = `${options.host}:${options.port}`;
    this.http = new JsonHttpClient({
      baseUrl: `http://${this.endpoint}/ctrl/1.0`,
      timeoutMs: options.timeoutMs,
      maxConnections: options.maxConnections,
      label: `StorPool API ${this.endpoint}`,
    });
    this.authHeader = `Storpool v1:${options.authToken}`;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** GET <query>[/<arg>]; a JSON argument travels URL-encoded in ?json= as python-storpool sends it. */
  get<T>(query: string, arg?: string, json?: unknown): Promise<T> {
    const suffix = json === undefined ? '' : `?json=${encodeURIComponent(JSON.stringify(json))}`;
    return this.call<T>('GET', `${this.path(query, arg)}${suffix}`, undefined);
  }

  post<T>(query: string, arg?: string, json?: unknown): Promise<T> {
    return this.call<T>('POST', this.path(query, arg), json);
  }

  private path(query: string, arg: string | undefined): string {
    const prefix = this.options.multiCluster && MULTI_CLUSTER_QUERIES.has(query) ? 'MultiCluster/' : '';
    return `/${prefix}${query}${arg === undefined ? '' : `/${encodeURIComponent(arg)}`}`;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      let failure: unknown;
      try {
        return await this.once<T>(method, path, body);
      } catch (error) {
        failure = error;
      }
      if (!this.retryable(failure) || retry >= this.options.transientRetries) throw failure;
      await this.sleep(this.options.transientRetryBaseMs * 2 ** retry);
    }
  }

  private retryable(error: unknown): boolean {
    if (error instanceof StorPoolApiError) return error.transient;
    return isBackendError(error) && error.code === 'http.unreachable';
  }

  private async once<T>(method: 'GET' | 'POST', path: string, body: unknown): Promise<T> {
    const response = await this.http.request({
      method,
      path,
      headers: { authorization: this.authHeader },
      // POST always carries a body (an empty object when there are no arguments), as curl -d does.
      body: method === 'POST' ? (body ?? {}) : undefined,
    });
    let parsed: unknown;
    try {
      parsed = response.text === '' ? undefined : JSON.parse(response.text);
    } catch {
      parsed = undefined;
    }
    const reply = typeof parsed === 'object' && parsed !== null ? (parsed as { data?: unknown; error?: unknown }) : undefined;
    if (response.status === 200 && reply !== undefined && !('error' in reply) && 'data' in reply) return reply.data as T;
    const error = typeof reply?.error === 'object' && reply.error !== null ? (reply.error as Record<string, unknown>) : undefined;
    if (error !== undefined) {
      throw new StorPoolApiError(
        response.status,
        typeof error['name'] === 'string' ? error['name'] : '<missing error name>',
        typeof error['descr'] === 'string' ? error['descr'] : '<missing error description>',
        error['transient'] === true,
      );
    }
    if (response.status === 200) {
      throw new BackendError('terminal', 'storpool.bad_reply', `StorPool API ${this.endpoint} answered ${method} ${path} with neither data nor error`);
    }
    // A proxy or a crashed service: no StorPool error body, so judge by the status alone.
    throw new StorPoolApiError(response.status, `HTTP ${response.status}`, 'reply without a StorPool error body', false);
  }
}
