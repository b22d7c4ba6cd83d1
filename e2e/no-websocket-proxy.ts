import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy in front of a Hearth that refuses WebSockets, as some corporate proxies and
 * firewalls do: every HTTP request is forwarded, every `Upgrade: websocket` is answered 403.
 * It reads the SSE streams it carries (each room event's `id: <roomId>:<seq>`), and can cut
 * them and hold new ones back, so a test can post while a page is disconnected.
 */
export interface NoWebSocketProxy {
  /** Base URL, e.g. http://127.0.0.1:41235. */
  readonly url: string;
  /** Upgrades refused so far. */
  refusedUpgrades(): number;
  /** SSE streams forwarded so far. */
  streamsOpened(): number;
  /** Every room event's SSE id that went through, `<roomId>:<seq>`, in the order it went. */
  streamedEventIds(): readonly string[];
  /** Cuts every SSE stream it carries, and holds new ones back until `releaseStreams`. */
  cutAndHoldStreams(): void;
  releaseStreams(): void;
  close(): Promise<void>;
}

const SSE_PATH = '/api/realtime/sse';

interface Stream {
  readonly res: ServerResponse;
  readonly upstream: ReturnType<typeof httpRequest>;
}

/** Collects the `id:` lines of an SSE response into `eventIds` as it passes. */
function readEventIds(response: IncomingMessage, eventIds: string[]): void {
  let pending = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('id: ')) eventIds.push(line.slice(4));
  });
}

/** Forwards one request to `target`, on a connection of its own: cutting a stream must not touch another request's connection. */
function forward(target: URL, req: IncomingMessage, res: ServerResponse, eventIds: string[] | null): Stream {
  const upstream = httpRequest({
    host: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: { ...req.headers, host: target.host },
    agent: false,
  });
  upstream.on('response', (response) => {
    res.writeHead(response.statusCode ?? 502, response.headers);
    if (eventIds !== null) readEventIds(response, eventIds);
    response.on('data', (chunk: Buffer | string) => res.write(chunk));
    response.on('end', () => res.end());
    response.on('error', () => res.destroy());
  });
  upstream.on('error', () => res.destroy());
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
  return { res, upstream };
}

export async function startNoWebSocketProxy(targetUrl: string): Promise<NoWebSocketProxy> {
  const target = new URL(targetUrl);
  const streams = new Set<Stream>();
  const held: [IncomingMessage, ServerResponse][] = [];
  const eventIds: string[] = [];
  let refused = 0;
  let opened = 0;
  let holding = false;

  function forwardRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!(req.url ?? '').startsWith(SSE_PATH)) {
      forward(target, req, res, null);
      return;
    }
    opened += 1;
    const stream = forward(target, req, res, eventIds);
    streams.add(stream);
    res.on('close', () => streams.delete(stream));
  }

  const server = createServer((req, res) => {
    if (holding && (req.url ?? '').startsWith(SSE_PATH)) held.push([req, res]);
    else forwardRequest(req, res);
  });
  server.on('upgrade', (_req: IncomingMessage, socket) => {
    refused += 1;
    socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    refusedUpgrades: () => refused,
    streamsOpened: () => opened,
    streamedEventIds: () => [...eventIds],
    cutAndHoldStreams() {
      holding = true;
      for (const { res, upstream } of streams) {
        res.socket?.destroy();
        upstream.destroy();
      }
      streams.clear();
    },
    releaseStreams() {
      holding = false;
      for (const [req, res] of held.splice(0)) forwardRequest(req, res);
    },
    async close() {
      for (const { upstream } of streams) upstream.destroy();
      for (const [, res] of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
