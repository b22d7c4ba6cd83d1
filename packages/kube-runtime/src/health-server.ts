import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { contentTypes, metricsFormatFor, type MetricsRegistry } from './metrics.ts';

/**
 * /healthz, /readyz and /metrics for the operator process. createHealthHandler builds the
 * request handler without a socket; startHealthServer listens. /metrics answers in Prometheus
 * text, or in OpenMetrics to a scraper whose Accept asks for it.
 */

export interface HealthCheck {
  readonly name: string;
  readonly ok: () => boolean;
}

export interface HealthHandlerOptions {
  readonly registry: MetricsRegistry;
  /** Liveness: false only when the process should be restarted. */
  readonly liveness: readonly HealthCheck[];
  /** Readiness: every check must pass. */
  readonly readiness: readonly HealthCheck[];
}

export type HealthHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** The body kube-apiserver's own /readyz?verbose gives: one `[+]name ok` or `[-]name failed` per check. */
export function checkReport(checks: readonly HealthCheck[]): { ok: boolean; body: string } {
  let ok = true;
  const lines: string[] = [];
  for (const check of checks) {
    let passed = false;
    try {
      passed = check.ok();
    } catch {
      passed = false;
    }
    ok &&= passed;
    lines.push(`[${passed ? '+' : '-'}]${check.name} ${passed ? 'ok' : 'failed'}`);
  }
  lines.push(ok ? 'ok' : 'not ok');
  return { ok, body: `${lines.join('\n')}\n` };
}

export function createHealthHandler(options: HealthHandlerOptions): HealthHandler {
  return (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
      case '/livez':
      case '/readyz': {
        const report = checkReport(path === '/readyz' ? options.readiness : options.liveness);
        response.writeHead(report.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(report.body);
        return;
      }
      case '/metrics':
        void serveMetrics(options.registry, request, response);
        return;
      default:
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  };
}

async function serveMetrics(registry: MetricsRegistry, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const format = metricsFormatFor(request.headers.accept);
  try {
    const body = await registry.render(format);
    response.writeHead(200, { 'content-type': contentTypes[format], 'cache-control': 'no-store', vary: 'Accept' }).end(body);
  } catch (error) {
    response
      .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      .end(`collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(handler: HealthHandler, options: { port: number; host?: string }): Promise<HealthServer> {
  const server: Server = createServer(handler);
  // Probes are short: a keep-alive connection must not hold close() up.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('health server: no TCP address');
  return {
    port: address.port,
    close() {
      server.closeIdleConnections();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
