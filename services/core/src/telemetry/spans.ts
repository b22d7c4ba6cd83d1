import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanStatusCode, trace } from './otel-api.ts';
import type { Context, Link, Span, SpanOptions } from '@opentelemetry/api';

/**
 * Spans and W3C trace context for the paths a post takes across processes. Everything here
 * goes through @opentelemetry/api, which does nothing until tracing.ts registers a tracer
 * provider: with tracing off a span is a shared no-op object and a traceparent is undefined.
 */
export function tracer() {
  return trace.getTracer('hearth');
}

/** The trace id of a context (the active one by default), or null when nothing is being recorded. */
export function traceIdOf(of: Context = context.active()): string | null {
  const spanContext = trace.getSpanContext(of);
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext.traceId : null;
}

/** The active context as a W3C traceparent, for what crosses the bus; undefined when tracing is off. */
export function currentTraceparent(): string | undefined {
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The context a traceparent from the bus stands for; the root context when there is none. */
export function contextOfTraceparent(traceparent: string | undefined): Context {
  return traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** A link to the span a traceparent names, or null when it names none. */
export function linkTo(traceparent: string | undefined): Link | null {
  const spanContext = trace.getSpanContext(contextOfTraceparent(traceparent));
  return spanContext !== undefined && isSpanContextValid(spanContext) ? { context: spanContext } : null;
}

/** The trace id a traceparent carries, or null. */
export function traceIdOfTraceparent(traceparent: string | undefined): string | null {
  return traceparent === undefined ? null : traceIdOf(contextOfTraceparent(traceparent));
}

/**
 * Runs `work` in a new active span (a child of `parent`, else of the active context), ended
 * when the work settles; a rejection is recorded on the span and passed on.
 */
export function inSpan<T>(name: string, options: SpanOptions & { readonly parent?: Context }, work: (span: Span) => Promise<T>): Promise<T> {
  const { parent, ...spanOptions } = options;
  return tracer().startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs `work` with `span` as the active span, so log lines written in it carry its trace id. */
export function withSpan<T>(span: Span, work: () => T): T {
  return context.with(trace.setSpan(context.active(), span), work);
}
