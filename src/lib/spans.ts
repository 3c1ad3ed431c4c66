import { type Attributes, context, type Link, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

// Spans through @opentelemetry/api. Until an SDK is started (OTEL_EXPORTER_OTLP_ENDPOINT, see
// src/tracing.ts) nothing here creates a span or touches a context: `traced` just runs its
// function, so tracing that is off costs a boolean test.

let enabled = false;

/** Called once by the SDK starter, after it has registered a tracer provider. */
export const enableTracing = () => {
  enabled = true;
};

export const tracingEnabled = () => enabled;

export const tracer = () => trace.getTracer("saas-backend");

/** Runs `fn` inside a span called `name` (a child of the active one) when tracing is on. */
export function traced<T>(name: string, attributes: Attributes, fn: () => Promise<T>, links?: Link[]): Promise<T> {
  if (!enabled) return fn();
  return tracer().startActiveSpan(name, { attributes, links, kind: SpanKind.INTERNAL }, async (span) => {
    try {
      return await fn();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : "error" });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** `traced` for synchronous work. */
export function tracedSync<T>(name: string, attributes: Attributes, fn: () => T, links?: Link[]): T {
  if (!enabled) return fn();
  return tracer().startActiveSpan(name, { attributes, links, kind: SpanKind.INTERNAL }, (span) => {
    try {
      return fn();
    } finally {
      span.end();
    }
  });
}

/** The W3C traceparent of the active span, to carry across a process boundary (a NOTIFY). */
export function activeTraceparent(): string | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** A link to the span a traceparent names, for work caused by it elsewhere. */
export function linkTo(traceparent: string | undefined): Link[] {
  if (!enabled || !traceparent) return [];
  const spanContext = trace.getSpanContext(propagation.extract(context.active(), { traceparent }));
  return spanContext ? [{ context: spanContext }] : [];
}
