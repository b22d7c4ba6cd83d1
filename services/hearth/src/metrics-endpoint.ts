import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { observeWithTrace, statusClass, type Bus, type HearthMetrics, type Store } from '@hearth/core';

/** Requests that matched no route share one label value, so a scan of random paths adds no series. */
const UNMATCHED = 'unmatched';

/**
 * GET /metrics for every target, and the HTTP metrics of every route. Values that are read
 * rather than counted (the pool, the stream's storage) are read at each scrape; a backend that
 * cannot answer leaves its last value (createMetrics logs it), so a scrape still succeeds while it is down.
 */
export function registerMetrics(app: FastifyInstance, metrics: HearthMetrics, backends: { readonly store: Store; readonly bus: Bus }): void {
  const { store, bus } = backends;
  metrics.onCollect(() => {
    const pool = store.poolStats();
    if (pool === null) return;
    metrics.storePoolInUse.set(pool.inUse);
    metrics.storePoolWaiting.set(pool.waiting);
  });
  metrics.onCollect(async () => {
    const usage = await bus.streamUsage();
    if (usage === null) return;
    metrics.busStreamBytes.set(usage.bytes);
    if (usage.maxBytes !== null) metrics.busStreamMaxBytes.set(usage.maxBytes);
    if (usage.consumerPending !== null) metrics.busConsumerPending.set(usage.consumerPending);
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    // An event stream lasts as long as the client stays: its length is not a request's latency.
    if (String(reply.raw.getHeader('content-type') ?? '').startsWith('text/event-stream')) return;
    const route = request.routeOptions.url ?? UNMATCHED;
    observeWithTrace(metrics.http, reply.elapsedTime / 1_000, { method: request.method, route, status_class: statusClass(reply.statusCode) });
  });
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    // Prometheus scrapes the pod directly; a request through the Ingress (or any proxy) is from outside.
    if (request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined) {
      return reply.code(404).send({ error: { code: 'not_found', message: 'no route GET /metrics' } });
    }
    const { contentType, body } = await metrics.render(request.headers.accept);
    return reply.type(contentType).send(body);
  });
}
