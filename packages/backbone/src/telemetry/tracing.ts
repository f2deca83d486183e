import { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span, type Context, type Link, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

/**
 * Tracing is explicit in the backbone's Kafka and outbox code rather than left to the kafkajs
 * auto-instrumentation: the relay sends long after the command returned, from another async
 * context, so the trace context is stored in each outbox row and restored around the send
 * (docs/adr/0004). A service calls setupTracing once in main.ts.
 */
export const setupTracing = (opts: { service: string; otlpEndpoint?: string; exporter?: SpanExporter }): { shutdown: () => Promise<void> } => {
  const processors = [];
  if (opts.exporter !== undefined) processors.push(new SimpleSpanProcessor(opts.exporter));
  if (opts.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.otlpEndpoint.replace(/\/$/, '')}/v1/traces` })));
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': opts.service }), spanProcessors: processors });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return { shutdown: () => provider.shutdown() };
};

export const tracer = () => trace.getTracer('govmesh');

export const contextFromTraceparent = (traceparent: string | undefined): Context =>
  traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, { traceparent });

/** The span context a traceparent names, for a span link (undefined when it names none). */
export const spanContextOf = (traceparent: string): SpanContext | undefined => trace.getSpanContext(contextFromTraceparent(traceparent));

/** Runs fn inside a span, recording failures; the span ends when fn settles. `links`: other traces the work belongs to. */
export const inSpan = async <T>(name: string, kind: SpanKind, parent: Context, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>, links: Link[] = []): Promise<T> =>
  tracer().startActiveSpan(name, { kind, attributes, links }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });

/** Runs fn in the active trace, or in a new root span `name` when there is none (work a timer started). */
export const inTrace = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
  trace.getSpan(context.active()) === undefined ? inSpan(name, SpanKind.INTERNAL, ROOT_CONTEXT, {}, fn) : fn();

const traceparentOf = (ctx: Context): string | undefined => {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier['traceparent'];
};

/**
 * The W3C traceparent an outgoing event records: the active trace's, or, for an event raised
 * outside any trace, that of a root span `raise <type>` of its own. Undefined when tracing is off.
 */
export const traceparentForEvent = (type: string): string | undefined => {
  if (trace.getSpan(context.active()) !== undefined) return traceparentOf(context.active());
  const span = tracer().startSpan(`raise ${type}`, { kind: SpanKind.INTERNAL }, ROOT_CONTEXT);
  try {
    return traceparentOf(trace.setSpan(ROOT_CONTEXT, span));
  } finally {
    span.end();
  }
};

export { SpanKind, context };
