import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { buildWebSocketTextFrame } from '@hearth/core/websocket-frame';
import { startChildServer, type ChildServer } from './child-server.ts';

/**
 * The floor for the fan-out benchmark: the least a Node.js `ws` server does to
 * broadcast. Clients connect on /api/realtime/ws and send any first frame (the
 * hello), answered with {"type":"ready"}; `POST /broadcast` sends its body, as a
 * text frame, to every connected client, then answers 204. No rooms, sequence
 * numbers, store, bus, presence or liveness pings.
 *
 * It does no more than Hearth's realtime does for a room event
 * (services/realtime/src/websocket.ts, live-delivery.ts): the body is framed once,
 * and what arrived in the same turn of the event loop goes to each client's socket
 * in one write. With `ws.send` per body and client (a frame built for each, one
 * write each) this floor cost more per frame than Hearth and fell behind its own
 * load in fan-out A and B (2026-12-06 and 2026-12-07 runs: 79–92% of the frames
 * delivered, p99 14–20 s), so it was no floor.
 *
 * Run alone it listens on PORT (default: a free one) and prints {"port":N} on
 * its first line of output; `startBareServer` spawns it as its own process.
 */

export const BARE_PATH = '/api/realtime/ws';

function serve(port: number): void {
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/broadcast') {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      broadcast(buildWebSocketTextFrame(Buffer.concat(chunks)));
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  const wss = new WebSocketServer({ server, path: BARE_PATH, perMessageDeflate: false, maxPayload: 64 * 1024 });
  /** Each client with the socket its upgrade came on, which ws writes to. */
  const sockets = new Map<WebSocket, Duplex>();
  let pending: Buffer[] = [];
  const flush = (): void => {
    const bytes = Buffer.concat(pending);
    pending = [];
    for (const [client, raw] of sockets) if (client.readyState === WebSocket.OPEN) raw.write(bytes);
  };
  const broadcast = (frame: Buffer): void => {
    if (pending.push(frame) === 1) setImmediate(flush);
  };
  wss.on('connection', (ws, request) => {
    sockets.set(ws, request.socket);
    ws.on('error', () => undefined);
    ws.once('close', () => sockets.delete(ws));
    ws.once('message', () => ws.send('{"type":"ready"}'));
  });
  const stop = (): void => {
    for (const client of wss.clients) client.terminate();
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    console.log(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }));
  });
}

export type BareServer = ChildServer<{ readonly port: number }>;

/** Spawns this file as its own Node.js process and waits for its port. */
export function startBareServer(env: NodeJS.ProcessEnv = process.env): Promise<BareServer> {
  return startChildServer(fileURLToPath(import.meta.url), 'the bare ws server', env);
}

if (import.meta.main) serve(Number(process.env['PORT'] ?? 0));
