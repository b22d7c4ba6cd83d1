import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * An OTLP/HTTP trace receiver in the test process, on a free loopback port: what an
 * OpenTelemetry Collector would be, reduced to collecting spans. It takes OTLP/JSON
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) and refuses protobuf with 415, so a test that
 * forgot the protocol fails on the exporter's side with a clear status instead of silently.
 */

export type AttributeValue = string | number | boolean | null | readonly AttributeValue[];
export type Attributes = Readonly<Record<string, AttributeValue>>;

export interface ReceivedSpan {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** null for a root span. */
  readonly parentSpanId: string | null;
  readonly name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  /** The attributes of the process that sent it: service.name, process.pid… */
  readonly resource: Attributes;
  /** The instrumentation scope's name (e.g. @opentelemetry/instrumentation-pg). */
  readonly scope: string;
  readonly links: readonly { readonly traceId: string; readonly spanId: string; readonly attributes: Attributes }[];
  /** OTLP's StatusCode: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

export interface OtlpReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  readonly url: string;
  /** Every span received so far, in arrival order. */
  spans(): readonly ReceivedSpan[];
  /** The spans received so far of one trace. */
  traceSpans(traceId: string): readonly ReceivedSpan[];
  /** Waits until some received span matches and returns the first that does; rejects after timeoutMs. */
  waitForSpan(predicate: (span: ReceivedSpan) => boolean, timeoutMs?: number, what?: string): Promise<ReceivedSpan>;
  /**
   * Waits until the spans of a trace satisfy `complete` and returns them; rejects after timeoutMs
   * with what did arrive, so a failure shows which part of the trace is missing.
   */
  waitForTrace(traceId: string, complete: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<readonly ReceivedSpan[]>;
  /** Export requests refused (not JSON, malformed): each with its reason. */
  readonly refusals: readonly string[];
  stop(): Promise<void>;
}

const DEFAULT_WAIT_MS = 10_000;

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const refusals: string[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    handleExport(
      request,
      response,
      (spans) => {
        received.push(...spans);
        for (const wake of waiters) wake();
      },
      refusals,
    ).catch((error: unknown) => {
      refusals.push(String(error));
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const waitUntil = <T>(found: () => T | undefined, timeoutMs: number, failure: () => string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const value = found();
        if (value === undefined) return;
        cleanUp();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanUp();
        reject(new Error(failure()));
      }, timeoutMs);
      const cleanUp = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const traceSpans = (traceId: string): ReceivedSpan[] => received.filter((span) => span.traceId === traceId);
  return {
    url: `http://127.0.0.1:${port}`,
    refusals,
    spans: () => [...received],
    traceSpans,
    waitForSpan: (predicate, timeoutMs = DEFAULT_WAIT_MS, what = 'a matching span') =>
      waitUntil(
        () => received.find(predicate),
        timeoutMs,
        () => `no span received within ${timeoutMs} ms was ${what}; received ${received.length}:\n${describeSpans(received)}`,
      ),
    waitForTrace: (traceId, complete, timeoutMs = DEFAULT_WAIT_MS) =>
      waitUntil(
        () => {
          const spans = traceSpans(traceId);
          return complete(spans) ? spans : undefined;
        },
        timeoutMs,
        () => `trace ${traceId} was not complete within ${timeoutMs} ms; its spans:\n${describeSpans(traceSpans(traceId))}`,
      ),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One line per span: service, pid, kind, name, ids. For failure messages. */
export function describeSpans(spans: readonly ReceivedSpan[]): string {
  return spans
    .map((span) => {
      const kind = Object.entries(SPAN_KIND).find(([, value]) => value === span.kind)?.[0] ?? String(span.kind);
      const parent = span.parentSpanId ?? 'root';
      return `  ${String(span.resource['service.name'])} (pid ${String(span.resource['process.pid'])}) ${kind} "${span.name}" trace ${span.traceId} span ${span.spanId} parent ${parent}${span.links.length > 0 ? ` links ${span.links.map((link) => link.traceId).join(',')}` : ''}`;
    })
    .join('\n');
}

async function handleExport(request: IncomingMessage, response: ServerResponse, accept: (spans: ReceivedSpan[]) => void, refusals: string[]): Promise<void> {
  const refuse = (status: number, reason: string): void => {
    refusals.push(reason);
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 3, message: reason }));
  };
  const refusal = exportRefusal(request);
  if (refusal !== undefined) return refuse(refusal.status, refusal.reason);
  const body = await readBody(request);
  let spans: ReceivedSpan[];
  try {
    spans = parseExportRequest(JSON.parse(body.toString('utf8')) as unknown);
  } catch (error) {
    return refuse(400, `malformed export request: ${error instanceof Error ? error.message : String(error)}`);
  }
  accept(spans);
  // An ExportTraceServiceResponse with no partial_success: everything was accepted.
  response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
}

/** Why a request is not an OTLP/JSON trace export this receiver takes, with the status to answer; undefined when it is one. */
function exportRefusal(request: IncomingMessage): { status: number; reason: string } | undefined {
  if (request.method !== 'POST' || request.url !== '/v1/traces')
    return { status: 404, reason: `${request.method ?? ''} ${request.url ?? ''}: only POST /v1/traces is received` };
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (type !== 'application/json')
    return { status: 415, reason: `content-type ${type ?? '(none)'}: only OTLP/JSON is received (set OTEL_EXPORTER_OTLP_PROTOCOL=http/json)` };
  return undefined;
}

/** The request's body, gunzipped when it came gzipped. */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

interface JsonKeyValue {
  readonly key: string;
  readonly value?: JsonAnyValue;
}
interface JsonAnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values?: readonly JsonAnyValue[] };
  readonly bytesValue?: string;
}
interface JsonSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind?: number;
  readonly startTimeUnixNano?: string | number;
  readonly endTimeUnixNano?: string | number;
  readonly attributes?: readonly JsonKeyValue[];
  readonly links?: readonly { readonly traceId: string; readonly spanId: string; readonly attributes?: readonly JsonKeyValue[] }[];
  readonly status?: { readonly code?: number };
}
interface JsonScopeSpans {
  readonly scope?: { readonly name?: string };
  readonly spans?: readonly JsonSpan[];
}
interface JsonResourceSpans {
  readonly resource?: { readonly attributes?: readonly JsonKeyValue[] };
  readonly scopeSpans?: readonly JsonScopeSpans[];
}
interface JsonExportRequest {
  readonly resourceSpans?: readonly JsonResourceSpans[];
}

/** An OTLP/JSON ExportTraceServiceRequest as flat spans; ids are hex in OTLP/JSON, as the specification requires. */
export function parseExportRequest(json: unknown): ReceivedSpan[] {
  if (typeof json !== 'object' || json === null) throw new Error('not a JSON object');
  return ((json as JsonExportRequest).resourceSpans ?? []).flatMap(spansOfResource);
}

/** The spans of one resource, in the order they came, each with the resource's attributes and its scope's name. */
function spansOfResource(resourceSpans: JsonResourceSpans): ReceivedSpan[] {
  const resource = attributesOf(resourceSpans.resource?.attributes);
  return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) => {
    const scope = scopeSpans.scope?.name ?? '';
    return (scopeSpans.spans ?? []).map((span) => spanOf(span, resource, scope));
  });
}

function spanOf(span: JsonSpan, resource: Attributes, scope: string): ReceivedSpan {
  if (!hasHexIds(span)) throw new Error(`span "${span.name}" has ids that are not lowercase hex`);
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: parentSpanIdOf(span),
    name: span.name,
    kind: span.kind ?? 0,
    startTimeUnixNano: BigInt(span.startTimeUnixNano ?? 0),
    endTimeUnixNano: BigInt(span.endTimeUnixNano ?? 0),
    attributes: attributesOf(span.attributes),
    resource,
    scope,
    links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId, attributes: attributesOf(link.attributes) })),
    statusCode: span.status?.code ?? 0,
  };
}

function hasHexIds(span: JsonSpan): boolean {
  return /^[0-9a-f]{32}$/.test(span.traceId) && /^[0-9a-f]{16}$/.test(span.spanId);
}

/** A root span's parent id is absent or empty in OTLP/JSON: null for both. */
function parentSpanIdOf(span: JsonSpan): string | null {
  return span.parentSpanId === undefined || span.parentSpanId === '' ? null : span.parentSpanId;
}

function attributesOf(list: readonly JsonKeyValue[] | undefined): Attributes {
  return Object.fromEntries((list ?? []).map((entry) => [entry.key, valueOf(entry.value)]));
}

/** int64 values arrive as JSON strings (as the OTLP/JSON mapping allows) or numbers; both become numbers. */
function valueOf(value: JsonAnyValue | undefined): AttributeValue {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.bytesValue !== undefined) return value.bytesValue;
  return null;
}
