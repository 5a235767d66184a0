import createClient, { type Client } from 'openapi-fetch';
import { StrataApiError } from './errors';
import type { components, paths } from './generated/schema';

export type Schemas = components['schemas'];
export type Job = Schemas['JobView'];
export type StrataPaths = paths;

export interface StrataClientOptions {
  /** The orchestrator's base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /** Sent as `Authorization: Bearer <key>`; without one the API answers 401 auth.missing_key. */
  readonly apiKey?: string;
  /** Sent as X-Tenant: an admin or operator key acting for one tenant. */
  readonly tenant?: string;
  /** A fetch to use instead of the global one (tests). */
  readonly fetch?: (request: Request) => Promise<Response>;
}

export interface WaitOptions {
  /** Called after every poll with the job as it is. */
  readonly onProgress?: (job: Job) => void;
  /** Give up after this long (client.timeout); default 10 minutes. */
  readonly timeoutMs?: number;
  /** Time between polls; default 500 ms. */
  readonly intervalMs?: number;
}

type JsonOk<Op> = Op extends { responses: { 200: { content: { 'application/json': infer Body } } } } ? Body : never;

/** The paths whose GET answers a page: {items, nextCursor}. */
export type ListPath = {
  [P in keyof paths]: paths[P] extends { get: infer Op } ? (JsonOk<Op> extends { items: unknown[]; nextCursor: unknown } ? P : never) : never;
}[keyof paths];

export type ListItem<P extends ListPath> = paths[P] extends { get: infer Op } ? (JsonOk<Op> extends { items: (infer Item)[] } ? Item : never) : never;

export type ListQuery<P extends ListPath> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? Omit<NonNullable<Q>, 'cursor'> : never;

export interface StrataClient {
  /** The typed openapi-fetch client; any answer that is not 2xx rejects with StrataApiError. */
  readonly api: Client<paths>;
  /** Polls GET /jobs/{id} until the job succeeded or failed (a failed job is returned, not thrown). */
  waitForJob(jobId: string, options?: WaitOptions): Promise<Job>;
  /** Every item of a list, following nextCursor; pathParams fill {id} in paths like /volumes/{id}/snapshots. */
  listAll<P extends ListPath>(path: P, query?: ListQuery<P>, pathParams?: Record<string, string>): Promise<ListItem<P>[]>;
}

const TERMINAL = new Set(['succeeded', 'failed']);

/** The body of a 2xx answer; errors never get here (the fetch wrapper throws them). */
export async function ok<T>(result: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, response } = await result;
  if (data === undefined) throw new StrataApiError(response.status, `http.${response.status}`, 'the answer had no body');
  return data;
}

export function createStrataClient(options: StrataClientOptions): StrataClient {
  const baseFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const baseUrl = options.url.replace(/\/+$/, '');

  const api = createClient<paths>({
    baseUrl,
    // The key goes only into this header: it is never part of a URL, a message or an error.
    fetch: async (request: Request) => {
      if (options.apiKey) request.headers.set('Authorization', `Bearer ${options.apiKey}`);
      if (options.tenant) request.headers.set('X-Tenant', options.tenant);
      let response: Response;
      try {
        response = await baseFetch(request);
      } catch (error) {
        const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
        throw new StrataApiError(0, 'client.unreachable', `cannot reach ${baseUrl}: ${cause}`);
      }
      if (!response.ok) throw await StrataApiError.fromResponse(response);
      return response;
    },
  });

  async function waitForJob(jobId: string, waitOptions: WaitOptions = {}): Promise<Job> {
    const timeoutMs = waitOptions.timeoutMs ?? 600_000;
    const intervalMs = waitOptions.intervalMs ?? 500;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await ok(api.GET('/jobs/{id}', { params: { path: { id: jobId } } }));
      waitOptions.onProgress?.(job);
      if (TERMINAL.has(job.status)) return job;
      if (Date.now() + intervalMs > deadline) {
        throw new StrataApiError(0, 'client.timeout', `job ${jobId} is still ${job.status} after ${Math.round(timeoutMs / 1000)} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  async function listAll<P extends ListPath>(path: P, query?: ListQuery<P>, pathParams?: Record<string, string>): Promise<ListItem<P>[]> {
    const items: ListItem<P>[] = [];
    let cursor: string | undefined;
    // A loose view of the typed client: the path is one of many, checked by ListPath above.
    const get = api.GET as unknown as (
      path: string,
      init: { params: { query: Record<string, unknown>; path?: Record<string, string> } },
    ) => Promise<{ data?: { items: ListItem<P>[]; nextCursor: string | null }; response: Response }>;
    do {
      const page = await ok(get(path, { params: { query: { ...(query ?? {}), ...(cursor ? { cursor } : {}) }, ...(pathParams ? { path: pathParams } : {}) } }));
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  return { api, waitForJob, listAll };
}
