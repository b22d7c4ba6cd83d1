/**
 * A process for tracing.test.ts, started the way `hearth` starts: @hearth/core's index first,
 * then startTracing, and only then fastify, pg and ioredis. It serves GET /probe/:id (a pg query
 * and a Redis command inside the request, and one info log line) and GET /healthz, prints
 * `{"listening":<port>}`, and on SIGTERM flushes its spans and exits.
 *
 * Reads TEST_DATABASE_URL and TEST_REDIS_URL besides the OTEL_* variables; it is a test fixture.
 */
import { createLogger, startTracing } from '../index.ts';

const stopTracing = await startTracing(process.env, 'tracing-test-app');

const { default: Fastify } = await import('fastify');
const { Pool } = await import('pg');
const { Redis } = await import('ioredis');
const { trace } = await import('@opentelemetry/api');

const pool = new Pool({ connectionString: process.env['TEST_DATABASE_URL'], max: 2 });
const redis = new Redis(process.env['TEST_REDIS_URL'] ?? '', { lazyConnect: true });
await redis.connect();
const logger = createLogger('info', 'tracing-test');
const app = Fastify({ loggerInstance: logger });

app.get<{ Params: { id: string } }>('/probe/:id', async (request) => {
  const { rows } = await pool.query<{ answer: number }>('select $1::int + 1 as answer', [Number(request.params.id)]);
  await redis.set(`probe:${request.params.id}`, String(rows[0]?.answer));
  request.log.info({ answer: rows[0]?.answer }, 'probe answered');
  return { answer: rows[0]?.answer, traceId: trace.getActiveSpan()?.spanContext().traceId ?? null };
});
app.get('/healthz', async () => ({ ok: true }));

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await pool.end();
    redis.disconnect();
    await stopTracing();
    process.exit(0);
  })();
});
