import assert from 'node:assert/strict';
import { registerHooks } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import Fastify from 'fastify';
import { pino } from 'pino';
import {
  describeSpans,
  SPAN_KIND,
  startChild,
  startOtlpReceiver,
  startPostgres,
  startRedis,
  waitUntil,
  type Child,
  type OtlpReceiver,
  type PostgresServer,
  type ReceivedSpan,
  type RedisServer,
} from '@hearth/harness';
import { traceFields } from '../logger.ts';
import { startTracing } from './tracing.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every module URL this process resolves from now on, to tell whether the SDK was loaded. */
const resolved: string[] = [];
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    resolved.push(result.url);
    return result;
  },
});

describe('tracing off (no OTLP endpoint, no OTEL_TRACES_EXPORTER)', () => {
  it('loads no SDK, registers no provider, and a request has no active span nor trace_id in its log lines', async () => {
    const stop = await startTracing({ HEARTH_LOG_LEVEL: 'info', OTEL_SERVICE_NAME: 'named-but-off' }, 'test');
    assert.deepEqual(
      resolved.filter((url) => /@opentelemetry\/(sdk-trace|instrumentation|exporter)|import-in-the-middle|tracing-sdk\.ts/.test(url)),
      [],
      'nothing of the SDK was imported',
    );
    const span = trace.getTracer('test').startSpan('probe');
    assert.equal(span.isRecording(), false, 'the global tracer provider is still the no-op one');
    span.end();

    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const app = Fastify({ loggerInstance: pino({ mixin: traceFields }, sink) });
    app.get('/probe', async (request) => {
      request.log.info({ at: 'handler' }, 'inside');
      return { active: trace.getActiveSpan() !== undefined };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(
        `http://127.0.0.1:${app.server.address() !== null && typeof app.server.address() === 'object' ? (app.server.address() as { port: number }).port : 0}/probe`,
      );
      assert.deepEqual(await response.json(), { active: false });
    } finally {
      await app.close();
    }
    const inside = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line['msg'] === 'inside');
    assert.ok(inside !== undefined, `the request logged: ${lines.join('')}`);
    assert.equal(inside['at'], 'handler');
    assert.equal('trace_id' in inside, false);
    await stop();
  });

  it('is started once per process', async () => {
    await assert.rejects(startTracing({}, 'again'), /already started/);
  });
});

describe('tracing on, exporting OTLP/JSON to a receiver', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let receiver: OtlpReceiver;
  let app: Child;
  let port = 0;

  before(async () => {
    [postgres, redis, receiver] = await Promise.all([startPostgres(), startRedis(), startOtlpReceiver()]);
    app = startChild(process.execPath, [path.join(here, 'tracing.test-app.ts')], {
      env: {
        PATH: process.env['PATH'] ?? '',
        TEST_DATABASE_URL: await postgres.createDatabase('traced'),
        TEST_REDIS_URL: redis.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    await waitUntil(
      'the traced app listens',
      async () => {
        const match = /\{"listening":(\d+)\}/.exec(app.output());
        port = match === null ? 0 : Number(match[1]);
        return port > 0;
      },
      app,
    );
  });
  after(async () => {
    await app?.stop();
    await Promise.allSettled([postgres?.stop(), redis?.stop(), receiver?.stop()]);
  });

  const isProbeServerSpan = (span: ReceivedSpan): boolean => span.kind === SPAN_KIND.server && span.attributes['http.route'] === '/probe/:id';

  it('a request makes a server span named after its route, with pg and Redis spans in the same trace beneath it', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/probe/41`);
    const body = (await response.json()) as { answer: number; traceId: string | null };
    assert.equal(body.answer, 42);
    assert.match(body.traceId ?? '', /^[0-9a-f]{32}$/, 'the handler ran inside an active span');

    const server = await receiver.waitForSpan((span) => isProbeServerSpan(span) && span.traceId === body.traceId, 10_000, 'the server span of GET /probe/41');
    assert.equal(server.name, 'GET /probe/:id');
    assert.equal(server.parentSpanId, null, 'the request started the trace');
    assert.equal(server.resource['service.name'], 'tracing-test-app');
    assert.equal(server.resource['process.pid'], app.process.pid);

    const spans = await receiver.waitForTrace(
      server.traceId,
      (all) =>
        all.some((span) => span.scope.endsWith('instrumentation-pg') && span.kind === SPAN_KIND.client) &&
        all.some((span) => span.scope.endsWith('instrumentation-ioredis')),
    );
    const query = spans.find((span) => span.scope.endsWith('instrumentation-pg') && span.kind === SPAN_KIND.client);
    assert.ok(query !== undefined, describeSpans(spans));
    assert.equal(query.attributes['db.system.name'] ?? query.attributes['db.system'], 'postgresql');
    assert.ok(isDescendant(query, server, spans), `the query span is beneath the server span:\n${describeSpans(spans)}`);
    const set = spans.find((span) => span.scope.endsWith('instrumentation-ioredis'));
    assert.ok(set !== undefined && isDescendant(set, server, spans), `the Redis span is beneath the server span:\n${describeSpans(spans)}`);
  });

  it("the request's log lines carry its trace_id and span_id", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/probe/1`);
    const { traceId } = (await response.json()) as { traceId: string };
    const findLine = (): Record<string, unknown> | undefined =>
      app
        .output()
        .split('\n')
        .filter((text) => text.startsWith('{'))
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => entry['msg'] === 'probe answered' && entry['trace_id'] === traceId);
    // The response can arrive before the app's stdout has been read here.
    await waitUntil(`a "probe answered" line with trace_id ${traceId}`, async () => findLine() !== undefined, app, 5_000);
    const line = findLine();
    assert.ok(line !== undefined);
    assert.match(String(line['span_id']), /^[0-9a-f]{16}$/);
    const server = await receiver.waitForSpan((span) => isProbeServerSpan(span) && span.traceId === traceId);
    assert.equal(line['span_id'], server.spanId, 'the span active in the handler is the server span');
  });

  it('probes are not traced, and the exporter does not trace its own exports', async () => {
    await (await fetch(`http://127.0.0.1:${port}/healthz`)).arrayBuffer();
    const marker = await fetch(`http://127.0.0.1:${port}/probe/7`);
    const { traceId } = (await marker.json()) as { traceId: string };
    // Spans are exported in order of ending: once the later request's span is in, the probe's would be too.
    await receiver.waitForSpan((span) => span.traceId === traceId && isProbeServerSpan(span));
    const spans = receiver.spans();
    assert.deepEqual(
      spans.filter((span) => span.attributes['url.path'] === '/healthz' || span.attributes['http.target'] === '/healthz'),
      [],
    );
    assert.deepEqual(
      spans.filter((span) => span.kind === SPAN_KIND.client && String(span.attributes['url.full'] ?? span.attributes['http.url'] ?? '').includes('/v1/traces')),
      [],
    );
    assert.deepEqual(receiver.refusals, []);
  });

  it('a query outside any span makes no root span of its own', () => {
    // The app connects to Redis at start-up, outside any request: requireParentSpan keeps that out.
    const roots = receiver.spans().filter((span) => span.parentSpanId === null);
    assert.ok(roots.length > 0);
    assert.deepEqual(
      roots.filter((span) => !isProbeServerSpan(span)).map((span) => span.name),
      [],
    );
  });
});

function isDescendant(span: ReceivedSpan, ancestor: ReceivedSpan, spans: readonly ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  let parent = span.parentSpanId;
  for (let hops = 0; parent !== null && hops < spans.length; hops += 1) {
    if (parent === ancestor.spanId) return true;
    parent = byId.get(parent)?.parentSpanId ?? null;
  }
  return false;
}
