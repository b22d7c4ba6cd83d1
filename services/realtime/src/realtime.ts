import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Authenticate, RealtimeDeps } from './deps.ts';
import { Hub } from './hub.ts';
import { registerSse } from './sse.ts';
import { createWebSocketEndpoint } from './websocket.ts';

export interface Realtime {
  readonly hub: Hub;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

/** Mounts the WebSocket and SSE endpoints on an app; the app's server must pass upgrades to handleUpgrade. */
export function mountRealtime(app: FastifyInstance, deps: RealtimeDeps, authenticate: Authenticate): Realtime {
  const hub = new Hub(deps);
  const websocket = createWebSocketEndpoint(deps, hub, authenticate);
  const sse = registerSse(app, deps, hub, authenticate);
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!websocket.handleUpgrade(request, socket, head)) socket.destroy();
  });
  return {
    hub,
    handleUpgrade: (request, socket, head) => websocket.handleUpgrade(request, socket, head),
    close() {
      hub.close();
      websocket.close();
      sse.close();
    },
  };
}
