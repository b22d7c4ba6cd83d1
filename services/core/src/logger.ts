import { context, isSpanContextValid, trace } from './telemetry/otel-api.ts';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout, one line per event, with the service role on every line. Tests that
 * check what is logged pass a `destination` of their own.
 */
export function createLogger(level: string, target: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'hearth', target }, timestamp: pino.stdTimeFunctions.isoTime, mixin: traceFields };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * The active span's ids, so a log line can be found from a trace and a trace from a log line.
 * With tracing off there is no context manager, the active context is always the empty root
 * one, and this is one map lookup that finds nothing. A new object each time: pino merges the
 * line's own fields into it.
 */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getSpanContext(context.active());
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
