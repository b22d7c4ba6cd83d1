import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { HearthError, isHearthError, rawErrorResponse, type RoomEvent, type SignedIn } from '@hearth/core';
import { refuseStream, UNAVAILABLE_STREAM_MESSAGE, type Connection, type Transport } from './connection.ts';
import { frameJson } from './frame-json.ts';
import { CLOSE_CODES, type ClientFrame, type ServerFrame } from '@hearth/core';
import { FrameError, parseClientFrame } from './frames.ts';
import type { Hub } from './hub.ts';
import { limitStreamConnects, openStream } from './open-stream.ts';
import type { Authenticate, RealtimeDeps } from './deps.ts';
import { buildWebSocketTextFrame } from './websocket-frame.ts';

export const WEBSOCKET_PATH = '/api/realtime/ws';
const HELLO_TIMEOUT_MS = 10_000;
const LIVENESS_MS = 25_000;
/**
 * How long a closing socket may take to say goodbye before it is cut off. The error
 * and close frames queue behind what the client has not read, so a client that is
 * merely behind still gets them; one that never reads is cut off after this.
 */
const CLOSE_GRACE_MS = 15_000;

/** Answers an upgrade with an HTTP error in the usual body: the error's public face, never its detail. */
function refuse(socket: Duplex, error: HearthError): void {
  socket.end(rawErrorResponse(error));
}

/** Cross-site WebSocket hijacking: a browser always sends Origin, and it must be this server. */
function isSameOrigin(request: IncomingMessage, publicUrl: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    const host = new URL(origin).host;
    return host === request.headers.host || host === new URL(publicUrl).host;
  } catch {
    return false;
  }
}

/** Each room event's WebSocket frame, built once and written as is to every socket streaming its room. */
const eventFrames = new WeakMap<RoomEvent, Buffer>();

function eventFrame(frame: Extract<ServerFrame, { type: 'room.event' }>): Buffer {
  let bytes = eventFrames.get(frame.event);
  if (bytes === undefined) {
    bytes = buildWebSocketTextFrame(Buffer.from(frameJson(frame)));
    eventFrames.set(frame.event, bytes);
  }
  return bytes;
}

/**
 * `socket` is the one the upgrade came on, which ws writes to. A room event's frame is
 * written to it directly: `ws.send` would frame it again for each socket (options
 * objects, a header buffer, a two-buffer write). That keeps ws's order because
 * nothing waits in ws's sender: with
 * permessage-deflate off (see the server's options) ws writes every frame at once.
 * Only while OPEN: after ws has sent its close frame, no data frame may follow.
 * Corking the socket holds ws's own frames too, so a burst leaves in one write.
 */
function transportOf(ws: WebSocket, socket: Duplex): Transport {
  return {
    kind: 'websocket',
    send(frame) {
      if (frame.type !== 'room.event') ws.send(frameJson(frame));
      else if (ws.readyState === WebSocket.OPEN) socket.write(eventFrame(frame));
    },
    bufferedBytes: () => ws.bufferedAmount,
    cork: () => socket.cork(),
    uncork: () => socket.uncork(),
    close(code) {
      ws.close(code);
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    },
  };
}

/** What every socket served shares: the service's dependencies and this process's hub. */
interface SocketEndpoint {
  readonly deps: RealtimeDeps;
  readonly hub: Hub;
}

/**
 * The client frame in `text`; null when it is not one, after telling the client why
 * (`bad_frame`) and closing the socket.
 */
function frameOrRefuse(ws: WebSocket, transport: Transport, text: string): ClientFrame | null {
  try {
    return parseClientFrame(text);
  } catch (error) {
    if (!(error instanceof FrameError)) throw error;
    ws.send(JSON.stringify({ type: 'error', code: 'bad_frame', message: error.message }));
    transport.close(CLOSE_CODES.bad_frame, 'bad_frame');
    return null;
  }
}

/**
 * One client's socket from upgrade to close: it must say hello within HELLO_TIMEOUT_MS, which
 * opens its stream; after that it pings and types. A socket that stops answering pings is cut off.
 */
function serveSocket({ deps, hub }: SocketEndpoint, ws: WebSocket, socket: Duplex, signedIn: SignedIn): void {
  const transport = transportOf(ws, socket);
  let connection: Connection | null = null;
  /** Set at the first hello, before any await, so a second hello cannot open a second stream. */
  let greeted = false;
  let alive = true;
  const helloTimer = setTimeout(() => {
    ws.send(JSON.stringify({ type: 'error', code: 'hello_timeout', message: `send hello within ${HELLO_TIMEOUT_MS / 1000} s` }));
    transport.close(CLOSE_CODES.hello_timeout, 'hello_timeout');
  }, HELLO_TIMEOUT_MS);
  const liveness = setInterval(() => {
    if (!alive) ws.terminate();
    alive = false;
    ws.ping();
  }, LIVENESS_MS);

  ws.on('pong', () => (alive = true));
  ws.on('message', (data, isBinary) => {
    alive = true;
    void onFrame(isBinary ? '' : data.toString()).catch((error: unknown) => deps.logger.error({ err: error }, 'websocket frame failed'));
  });
  ws.on('close', () => {
    clearTimeout(helloTimer);
    clearInterval(liveness);
    if (connection !== null) {
      connection.dropped();
      void hub.detach(connection).catch((error: unknown) => deps.logger.warn({ err: error }, 'presence update failed'));
    }
  });
  ws.on('error', (error) => deps.logger.debug({ err: error }, 'websocket error'));

  async function onFrame(text: string): Promise<void> {
    const frame = frameOrRefuse(ws, transport, text);
    if (frame === null) return;
    if (frame.type === 'hello') return onHello(frame.resume);
    if (connection === null) return;
    if (frame.type === 'ping') {
      connection.send({ type: 'pong' });
      await hub.touch(connection);
    } else {
      await hub.typing(connection, frame.roomId);
    }
  }

  async function onHello(resume: Readonly<Record<string, number>>): Promise<void> {
    if (greeted) return;
    greeted = true;
    clearTimeout(helloTimer);
    try {
      connection = await openStream(deps, hub, { signedIn, transport, resume });
    } catch (error) {
      deps.logger.warn({ err: error, userId: signedIn.user.id }, 'realtime stream could not open');
      refuseStream(transport, 'unavailable', UNAVAILABLE_STREAM_MESSAGE);
      return;
    }
    // The client left while the stream was opening: its close found no connection to drop.
    if (ws.readyState === ws.CLOSED || ws.readyState === ws.CLOSING) {
      connection.dropped();
      await hub.detach(connection);
    }
  }
}

/** Handles upgrades on WEBSOCKET_PATH; other paths are left to whoever else listens. */
export function createWebSocketEndpoint(deps: RealtimeDeps, hub: Hub, authenticate: Authenticate) {
  // permessage-deflate stays off: compressing each frame for each socket costs the fan-out
  // far more than it saves on chat-sized frames, and room events are written pre-framed.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
  const endpoint: SocketEndpoint = { deps, hub };

  async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refused = (): void => deps.metrics.connectFailures.inc({ transport: 'websocket', reason: 'refused' });
    if (!isSameOrigin(request, deps.publicUrl))
      return (refused(), refuse(socket, new HearthError('forbidden', 'WebSocket connections must come from this site')));
    const signedIn = await authenticate(request.headers.cookie);
    if (signedIn === null) return (refused(), refuse(socket, new HearthError('unauthenticated', 'sign in first')));
    await limitStreamConnects(deps, signedIn).catch((error: unknown) => {
      refused();
      throw error;
    });
    wss.handleUpgrade(request, socket, head, (ws) => serveSocket(endpoint, ws, socket, signedIn));
  }

  return {
    /** Returns true when it took the request. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const path = (request.url ?? '').split('?')[0];
      if (path !== WEBSOCKET_PATH) return false;
      onUpgrade(request, socket, head).catch((error: unknown) => {
        deps.metrics.connectFailures.inc({ transport: 'websocket', reason: 'error' });
        // A backend that is down is an outage (warn); anything else is a bug (error). The client gets a 503 or 500 without the detail.
        const known = isHearthError(error) ? error : new HearthError('internal', 'the WebSocket upgrade failed', { cause: error });
        deps.logger[known.code === 'internal' ? 'error' : 'warn']({ err: error }, `websocket upgrade failed: ${known.message}`);
        if (socket.writable) refuse(socket, known);
        else socket.destroy();
      });
      return true;
    },
    close(): void {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
