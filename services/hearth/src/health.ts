import type { FastifyInstance } from 'fastify';

export interface Probe {
  readonly name: string;
  check(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 2_000;

function withTimeout(probe: Probe): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${probe.name} did not answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    probe.check().then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** /healthz: the process is alive. /readyz: every backend this target uses answers, and it is not shutting down. */
export function registerHealth(app: FastifyInstance, probes: readonly Probe[], isDraining: () => boolean): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (isDraining()) return reply.code(503).send({ status: 'draining', checks: {} });
    const results = await Promise.allSettled(probes.map(withTimeout));
    const checks: Record<string, string> = {};
    probes.forEach((probe, i) => {
      const result = results[i];
      checks[probe.name] = result?.status === 'fulfilled' ? 'ok' : String((result as PromiseRejectedResult).reason);
    });
    const ready = results.every((r) => r.status === 'fulfilled');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
