import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { startChildServer, type ChildServer } from './child-server.ts';

/**
 * The floor for the fan-out benchmark: the least a Node.js `ws` server does to
 * broadcast. Clients connect on /api/realtime/ws and send any first frame (the
 * hello), answered with {"type":"ready"}; `POST /broadcast` sends its body, as
 * text, to every connected client with `ws.send`, then answers 204. No rooms,
 * sequence numbers, store, bus, presence or liveness pings.
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
      // Encoded once, the same bytes to every client as a text frame: a string would be encoded
      // again for each client, which saturated this floor's one core at 100,000 frames/s.
      const frame = Buffer.concat(chunks);
      for (const client of wss.clients) client.send(frame, { binary: false });
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  const wss = new WebSocketServer({ server, path: BARE_PATH, perMessageDeflate: false, maxPayload: 64 * 1024 });
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
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
