import { subscribe } from 'node:diagnostics_channel';
import { register as registerLoaderHook } from 'node:module';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { context, diag, DiagLogLevel, propagation, trace } from './otel-api.ts';
import type { DiagLogger } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { getRPCMetadata, RPCType, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { register as registerSyncLoaderHook, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';
import type { SamplerConfig, TraceExporterConfig, TracingConfig } from './tracing-config.ts';

/**
 * The OpenTelemetry SDK, loaded only when tracing is on (tracing.ts imports this module
 * dynamically), so a process with tracing off never loads it.
 */

/**
 * The ESM modules the instrumentations patch. pg and ioredis are CommonJS packages imported from
 * ESM, which require hooks never see, so import-in-the-middle's loader hook wraps them; only
 * these, so every other module (Hearth's own TypeScript included) loads untouched. node:http
 * needs no entry: fastify, which creates the server, is CommonJS and requires it.
 */
const HOOKED_MODULES = ['pg', 'pg-pool', 'ioredis'];

/** How long stopping waits for the last spans to be exported. */
const SHUTDOWN_FLUSH_MS = 3_000;

/** Probes and scrapes would be most of the traces and tell nothing. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/livez', '/metrics']);

export async function startTracingSdk(config: TracingConfig): Promise<() => Promise<void>> {
  diag.setLogger(stderrDiagLogger, DiagLogLevel.WARN);
  hookEsmModules();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.instance.id': randomUUID(), 'process.pid': process.pid, ...config.resource }),
    sampler: buildSampler(config.sampler),
    spanProcessors: config.exporters.map((exporter) => new BatchSpanProcessor({ exporter: buildExporter(exporter), ...config.batch })),
  });
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
        // Outgoing calls (OIDC, webhooks) are traced only within a request or job, never on their own.
        requireParentforOutgoingSpans: true,
      }),
      // Queries outside any span (the outbox relay's polls, the pool's own connects) would each be a trace of one span.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  nameServerSpansAfterFastifyRoutes();
  return async () => {
    unregister();
    // Ends the batch processors, which export what they still hold; a collector that does not
    // answer must not hold up the process's exit past its grace period.
    await Promise.race([provider.shutdown(), delay(SHUTDOWN_FLUSH_MS, undefined, { ref: false })]);
  };
}

function hookEsmModules(): void {
  if (supportsSyncHooks()) {
    registerSyncLoaderHook({ include: HOOKED_MODULES });
  } else {
    // Node 24 before 24.11.1: the asynchronous loader, on its own thread.
    registerLoaderHook('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: HOOKED_MODULES } });
  }
}

function buildExporter(config: TraceExporterConfig): SpanExporter {
  switch (config.type) {
    case 'otlp':
      return config.protocol === 'http/json' ? new OtlpJsonExporter({ url: config.url }) : new OtlpProtobufExporter({ url: config.url });
    case 'console':
      return new ConsoleSpanExporter();
  }
}

export function buildSampler(config: SamplerConfig): Sampler {
  switch (config.type) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased':
      return new ParentBasedSampler({ root: buildSampler(config.root) });
  }
}

/** The part of a fastify instance used here; core does not depend on fastify. */
interface FastifyHooks {
  addHook(name: 'onRequest', hook: (request: { readonly routeOptions?: { readonly url?: string } }, reply: unknown, done: () => void) => void): unknown;
}

/**
 * The HTTP instrumentation names a server span after the method alone. Fastify announces each
 * new instance on a diagnostics channel; a hook on it hands the matched route template
 * (`/api/rooms/:roomId/messages`) to the instrumentation, which then names the span
 * `POST /api/rooms/:roomId/messages` and sets http.route: low-cardinality, like the metrics' route label.
 */
function nameServerSpansAfterFastifyRoutes(): void {
  subscribe('fastify.initialization', (message) => {
    const { fastify } = message as { fastify: FastifyHooks };
    fastify.addHook('onRequest', (request, _reply, done) => {
      const metadata = getRPCMetadata(context.active());
      const route = request.routeOptions?.url;
      if (metadata?.type === RPCType.HTTP && route !== undefined) metadata.route = route;
      done();
    });
  });
}

/** The SDK's own warnings (an export that failed, a collector that refused): one line each on stderr. */
const stderrDiagLogger: DiagLogger = {
  error: (message, ...args) => writeDiag('error', message, args),
  warn: (message, ...args) => writeDiag('warn', message, args),
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

function writeDiag(level: string, message: string, args: unknown[]): void {
  const detail = args.map(describe).join(' ');
  process.stderr.write(`hearth: tracing ${level}: ${message}${detail === '' ? '' : ` ${detail}`}\n`);
}

function describe(arg: unknown): string {
  if (arg instanceof Error) return arg.message;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}
