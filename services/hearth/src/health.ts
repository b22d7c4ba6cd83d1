import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { within } from '@hearth/core';

export interface Probe {
  readonly name: string;
  check(): Promise<void>;
}

/**
 * What /readyz says of one backend. The body is read by the kubelet and by whoever can reach
 * the port (it is not behind auth, and may be routed through the Ingress), so it names the
 * check and a state, never the error: that names hosts and ports, and goes to the log.
 */
export type CheckState = 'ok' | 'failing' | 'timeout';

const PROBE_TIMEOUT_MS = 2_000;

class ProbeTimeout extends Error {
  override readonly name = 'ProbeTimeout';
}

function withTimeout(probe: Probe): Promise<void> {
  return within(probe.check(), PROBE_TIMEOUT_MS, () => new ProbeTimeout(`${probe.name} did not answer within ${PROBE_TIMEOUT_MS} ms`));
}

export function stateOf(result: PromiseSettledResult<void>): CheckState {
  if (result.status === 'fulfilled') return 'ok';
  return result.reason instanceof ProbeTimeout ? 'timeout' : 'failing';
}

/**
 * Logs a check whose state changed, with the error, once: probes come every few seconds,
 * and an outage should be a line when it starts and one when it ends, not one per probe.
 */
function logChanges(log: FastifyBaseLogger, last: Map<string, CheckState>, probes: readonly Probe[], results: readonly PromiseSettledResult<void>[]): void {
  probes.forEach((probe, i) => {
    const result = results[i];
    if (result === undefined) return;
    const state = stateOf(result);
    if (last.get(probe.name) === state) return;
    last.set(probe.name, state);
    if (result.status === 'fulfilled') log.info({ check: probe.name, state }, `readiness: ${probe.name} answers again`);
    else log.warn({ check: probe.name, state, err: result.reason }, `readiness: ${probe.name} is ${state}`);
  });
}

/** /healthz: the process is alive. /readyz: every backend this target uses answers, and it is not shutting down. */
export function registerHealth(app: FastifyInstance, probes: readonly Probe[], isDraining: () => boolean): void {
  // Every backend starts as "ok": the server is built after each answered once, so only a change is news.
  const last = new Map<string, CheckState>(probes.map((probe) => [probe.name, 'ok']));
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    if (isDraining()) return reply.code(503).send({ status: 'draining', checks: {} });
    const results = await Promise.allSettled(probes.map(withTimeout));
    logChanges(request.log, last, probes, results);
    const checks = Object.fromEntries(probes.map((probe, i) => [probe.name, stateOf(results[i] ?? { status: 'rejected', reason: null })]));
    const ready = results.every((r) => r.status === 'fulfilled');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
