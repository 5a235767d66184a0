import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';

let provider: NodeTracerProvider | undefined;

/** True when spans are to leave the process: an OTLP endpoint is configured. */
export function otlpExportConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/**
 * Sets up tracing once per process, before Nest starts: a tracer provider naming the
 * service, AsyncLocalStorage as the context manager (the active span follows awaits), and
 * the W3C trace-context propagator (`traceparent`, `tracestate`). Spans are exported over
 * OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
 * set; otherwise they stay in the process and only their context travels. Later calls
 * (a second app in one test process) keep the first setup.
 */
export function setupTracing(serviceName: string): void {
  if (provider) return;
  const spanProcessors: SpanProcessor[] = otlpExportConfigured() ? [new BatchSpanProcessor(new OTLPTraceExporter())] : [];
  provider = new NodeTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }), spanProcessors });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });
}

/** Sends the spans still buffered (on shutdown); a no-op without setup or export. */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush().catch(() => undefined);
}
