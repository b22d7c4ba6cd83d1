import { headers, type MsgHdrs } from '@nats-io/transport-node';

/** The W3C trace context as a NATS header, where tracing tools look for it. */
export function traceHeaders(traceparent: string | undefined): { headers?: MsgHdrs } {
  if (traceparent === undefined) return {};
  const header = headers();
  header.set('traceparent', traceparent);
  return { headers: header };
}
