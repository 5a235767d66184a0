// undici's own fetch and connection pool, not Node's bundled ones: Node 24's parser crashes the
// process when a server closes the connection while a response is held back (nodejs/undici#5360,
// fixed in undici 8.x). The agent is our own: undici's fetch otherwise takes the global dispatcher,
// which Node's bundled fetch installs once anything in the process has used it.
import { Agent, fetch, type Response } from 'undici';
// The OpenTelemetry API only (no SDK): a no-op unless the service set tracing up, so a
// plugin's vendor calls join the trace of the command that caused them.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const backendConnections = new Agent();
const tracer = trace.getTracer('@strata/plugin-sdk');
import { BackendError } from './errors';

/**
 * A small JSON-over-HTTP client for vendor REST APIs, on Node's own fetch: per-request
 * timeout, a cap on concurrent requests per pool (the seeds' storage.pool.client.timeout
 * and storage.pool.client.max.connections), and transport failures mapped into the
 * taxonomy. Vendor clients add auth and map the vendor's error bodies themselves.
 */
export interface HttpClientOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  /** Names the backend in error messages ('powerflex gateway'). */
  readonly label: string;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Path and query, appended to the base URL. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON when not a string. */
  readonly body?: unknown;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The raw body: vendor JSON may hold integers beyond 2^53 (LINSTOR ret_code). */
  readonly text: string;
}

/** Counting semaphore: at most `limit` requests in flight, the rest wait in order. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

export class JsonHttpClient {
  private readonly limiter: Limiter;
  private readonly baseUrl: string;

  constructor(private readonly options: HttpClientOptions) {
    if (!Number.isInteger(options.maxConnections) || options.maxConnections < 1) {
      throw new BackendError('invalid', 'config.invalid', `${options.label}: maxConnections must be a positive integer`);
    }
    this.limiter = new Limiter(options.maxConnections);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /**
   * Sends the request; rejects only for transport failures (timeout, refused, reset) as
   * 'transient'. Each request is a client span of the active trace, announced to the
   * backend in a `traceparent` header.
   */
  request(request: HttpRequest): Promise<HttpResponse> {
    return this.limiter.run(() =>
      tracer.startActiveSpan(
        request.method,
        { kind: SpanKind.CLIENT, attributes: { 'http.request.method': request.method, 'server.address': this.options.label } },
        async (span) => {
          try {
            const response = await this.send(request);
            span.setAttribute('http.response.status_code', response.status);
            if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
            return response;
          } catch (error) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
            throw error;
          } finally {
            span.end();
          }
        },
      ),
    );
  }

  private async send(request: HttpRequest): Promise<HttpResponse> {
    const url = `${this.baseUrl}${request.path.startsWith('/') ? '' : '/'}${request.path}`;
    const traceHeaders: Record<string, string> = {};
    propagation.inject(context.active(), traceHeaders);
    const body = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    let response: Response;
    try {
      response = await fetch(url, {
        method: request.method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...traceHeaders, ...request.headers },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        dispatcher: backendConnections,
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new BackendError('transient', 'http.timeout', `${this.options.label} did not answer ${request.method} ${request.path} within ${this.options.timeoutMs} ms`, { cause: error });
      }
      const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
      throw new BackendError(
        'transient',
        'http.unreachable',
        `${this.options.label} is unreachable (${request.method} ${request.path}): ${cause?.code ?? cause?.message ?? (error as Error)?.message}`,
        { cause: error },
      );
    }
  }
}

/** Polls `probe` until it returns a value, for the device that appears after a grant (storage.pool.disk.wait). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new BackendError('transient', 'device.wait_timeout', `${what} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
