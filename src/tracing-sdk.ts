import { context, propagation, trace } from "@opentelemetry/api";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { enableTracing } from "./lib/spans.ts";

export type TracingOptions = {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: spans go there over OTLP/HTTP (`<endpoint>/v1/traces`). */
  endpoint?: string;
  serviceName: string;
  /** Instead of OTLP (tests use the SDK's in-memory exporter). */
  exporter?: SpanExporter;
};

/**
 * Starts the OpenTelemetry SDK — only when there is somewhere to send spans. The SDK packages
 * are imported here, on demand, so an instance without tracing never loads them.
 */
export async function startTracing({
  endpoint,
  serviceName,
  exporter,
}: TracingOptions): Promise<{ shutdown(): Promise<void> } | undefined> {
  if (!endpoint && !exporter) return undefined;
  const [
    { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider },
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { resourceFromAttributes },
  ] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/core"),
    import("@opentelemetry/resources"),
  ]);
  const processor = exporter
    ? new SimpleSpanProcessor({ exporter })
    : new BatchSpanProcessor({
        exporter: new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter({
          url: `${endpoint?.replace(/\/+$/, "")}/v1/traces`,
        }),
      });
  const provider = new TracerProvider({ resource: resourceFromAttributes({ "service.name": serviceName }), spanProcessors: [processor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enableTracing();
  return { shutdown: () => provider.shutdown() };
}
