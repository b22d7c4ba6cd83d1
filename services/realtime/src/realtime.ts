import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Bus, Ephemeral, HearthMetrics, Logger, SignedIn, Store } from '@hearth/core';
import { Hub } from './hub.ts';
import { registerSse } from './sse.ts';
import { createWebSocketEndpoint } from './websocket.ts';

export interface RealtimeDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly ephemeral: Ephemeral;
  readonly logger: Logger;
  readonly metrics: HearthMetrics;
  readonly publicUrl: string;
  readonly limits: { readonly connectionBufferBytes: number };
}

/** Resolves a raw Cookie header to the session and its user, or null. */
export type Authenticate = (cookieHeader: string | undefined) => Promise<SignedIn | null>;

export interface Realtime {
  readonly hub: Hub;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

/** Mounts the WebSocket and SSE endpoints on an app; the app's server must pass upgrades to handleUpgrade. */
export function mountRealtime(app: FastifyInstance, deps: RealtimeDeps, authenticate: Authenticate): Realtime {
  const hub = new Hub(deps);
  const websocket = createWebSocketEndpoint(deps, hub, authenticate);
  registerSse(app, deps, hub, authenticate);
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!websocket.handleUpgrade(request, socket, head)) socket.destroy();
  });
  return {
    hub,
    handleUpgrade: (request, socket, head) => websocket.handleUpgrade(request, socket, head),
    close() {
      hub.close();
      websocket.close();
    },
  };
}
