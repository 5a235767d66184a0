import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from '@opentelemetry/api';

/**
 * W3C trace context across Kafka: `traceparent` (and `tracestate`) travel as message
 * headers. OpenTelemetry stays behind these functions; without a registered tracer provider
 * and propagator (service-kit's setupTracing) they inject nothing and run work as it is.
 */

export const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

const tracer = () => trace.getTracer('@strata/messaging');

/** The active trace context as message headers (empty when there is none). */
export function currentTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** `headers` with the active trace context added, unless they carry one already. */
export function withTraceHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (headers?.traceparent) return { ...headers };
  return { ...currentTraceHeaders(), ...(headers ?? {}) };
}

/** The trace context a message's headers carry, or the active one when they carry none. */
function contextOf(headers: Readonly<Record<string, string>>): Context {
  return propagation.extract(context.active(), headers);
}

/**
 * Runs the handling of one consumed message in a consumer span that continues the
 * sender's trace (a new trace when the message carries none).
 */
export function consumeInSpan<T>(topic: string, headers: Readonly<Record<string, string>>, work: () => Promise<T>): Promise<T> {
  const attributes: Attributes = { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.operation.type': 'process' };
  return tracer().startActiveSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, attributes }, contextOf(headers), async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Names the active span after what it turned out to handle (a command's type, once read). */
export function describeActiveSpan(name: string, attributes: Attributes = {}): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  span.updateName(name);
  span.setAttributes(attributes);
}

/** The active span's ids, for log lines; undefined outside any sampled or propagated span. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getActiveSpan();
  const ctx = span?.spanContext();
  if (!ctx || !trace.isSpanContextValid(ctx)) return undefined;
  return { traceId: ctx.traceId, spanId: ctx.spanId };
}

/** The trace id of a W3C `traceparent` value (`00-<trace id>-<span id>-<flags>`), or undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent?.trim() ?? '');
  return match?.[1];
}

/**
 * Runs the start of an HTTP request's handling in a server span continuing the caller's
 * trace (`carrier`: its traceparent/tracestate headers); `work` gets `done(status)` to end
 * the span when the response is finished, since an HTTP framework hands on control
 * synchronously and answers later.
 */
export function serveInSpan(method: string, path: string, carrier: Readonly<Record<string, string>>, work: (done: (status: number) => void) => void): void {
  const attributes: Attributes = { 'http.request.method': method, 'url.path': path };
  // The method alone names the span: paths carry ids, and span names should not.
  tracer().startActiveSpan(method, { kind: SpanKind.SERVER, attributes }, contextOf(carrier), (span) => {
    work((status) => {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
  });
}
