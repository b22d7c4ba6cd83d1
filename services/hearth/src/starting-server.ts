import { createServer, type Server } from 'node:http';
import { UNAVAILABLE_RETRY_AFTER_S } from '@hearth/core';
import type { StartupStatus } from './retry.ts';

/**
 * Answers probes while the backends are not reachable yet: /healthz says the process
 * is alive, /readyz says what it is waiting for. Closed once the real app listens.
 */
export async function listenWhileStarting(host: string, port: number, status: StartupStatus): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    const alive = path === '/healthz';
    const body = alive ? { status: 'ok' } : { status: 'starting', waitingFor: status.waitingFor, error: status.lastError };
    // A request that reaches a process still starting (a restarted gateway behind nginx) is retried like any 503.
    const retry = alive ? {} : { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_S) };
    response.writeHead(alive ? 200 : 503, { 'content-type': 'application/json', connection: 'close', ...retry });
    response.end(JSON.stringify(path === '/healthz' || path === '/readyz' ? body : { error: { code: 'unavailable', message: `starting: waiting for ${status.waitingFor ?? 'start-up'}` } }));
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
