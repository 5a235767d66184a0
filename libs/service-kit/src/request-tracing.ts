import { Injectable, type NestMiddleware } from '@nestjs/common';
import { serveInSpan } from '@strata/messaging';
import { withLogContext } from './log-context';

interface HttpRequest {
  readonly method?: string;
  readonly originalUrl?: string;
  readonly url?: string;
  readonly headers: Record<string, string | string[] | undefined>;
}
interface HttpResponse {
  statusCode: number;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

function firstHeader(headers: HttpRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() || undefined;
}

/** Probes and scrapes: a span every few seconds per instance would only bury the traces that matter. */
const UNTRACED = new Set(['/health', '/health/ready', '/metrics']);

/**
 * Every HTTP request (but probes and scrapes) in a server span that continues the caller's
 * `traceparent` (a new trace without one), with X-Correlation-Id in the log context:
 * everything the request does after this (guards, handlers, the outbox rows it writes)
 * runs inside both.
 */
@Injectable()
export class RequestTracingMiddleware implements NestMiddleware<HttpRequest, HttpResponse> {
  use(req: HttpRequest, res: HttpResponse, next: (error?: unknown) => void): void {
    const correlationId = firstHeader(req.headers, 'x-correlation-id');
    const path = (req.originalUrl ?? req.url ?? '/').split('?')[0];
    if (UNTRACED.has(path)) {
      withLogContext({ correlationId }, () => next());
      return;
    }
    const carrier: Record<string, string> = {};
    for (const name of ['traceparent', 'tracestate']) {
      const value = firstHeader(req.headers, name);
      if (value) carrier[name] = value;
    }
    serveInSpan(req.method ?? 'GET', path, carrier, (done) => {
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        done(res.statusCode);
      };
      res.once('finish', end);
      res.once('close', end);
      withLogContext({ correlationId }, () => next());
    });
  }
}
