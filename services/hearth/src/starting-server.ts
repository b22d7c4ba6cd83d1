import type { Server } from 'node:http';
import { HearthError, nodeHttp, UNAVAILABLE_RETRY_AFTER_S } from '@hearth/core';
import type { StartupStatus } from './retry.ts';

/**
 * What the placeholder answers on `path`: /healthz says the process is alive, /readyz which
 * kind of backend it waits for (not where: the log has the address and the error), and any
 * other request the 503 every server gives while a backend is missing.
 */
export function startingAnswer(path: string, status: StartupStatus): { readonly status: number; readonly body: unknown; readonly retryAfter?: number } {
  if (path === '/healthz') return { status: 200, body: { status: 'ok' } };
  const retryAfter = UNAVAILABLE_RETRY_AFTER_S;
  if (path === '/readyz') return { status: 503, body: { status: 'starting', waitingFor: status.waitingFor }, retryAfter };
  return { status: 503, body: new HearthError('unavailable', `starting: waiting for ${status.waitingFor ?? 'start-up'}`).toJSON(), retryAfter };
}

/**
 * Answers probes while the backends are not reachable yet. Closed once the real app listens.
 */
export async function listenWhileStarting(host: string, port: number, status: StartupStatus): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = nodeHttp.createServer((request, response) => {
    const answer = startingAnswer((request.url ?? '').split('?')[0] ?? '', status);
    // A request that reaches a process still starting (a restarted gateway behind nginx) is retried like any 503.
    const retry = answer.retryAfter === undefined ? {} : { 'retry-after': String(answer.retryAfter) };
    response.writeHead(answer.status, { 'content-type': 'application/json', connection: 'close', ...retry });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
