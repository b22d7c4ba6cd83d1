import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { HearthError, isHearthError, rawErrorResponse, type SignedIn } from '@hearth/core';
import { refuseStream, UNAVAILABLE_STREAM_MESSAGE, type Connection, type ConnectionHooks, type Transport } from './connection.ts';
import { encodeOnce, frameJson, isSharedFrame, type SharedFrame } from './frame-json.ts';
import { CLOSE_CODES, type ClientFrame, type ServerFrame } from '@hearth/core';
import { FrameError, parseClientFrame } from './frames.ts';
import type { Hub } from './hub.ts';
import { createConnectionHooks, limitStreamConnects, openStream } from './open-stream.ts';
import type { Authenticate, RealtimeDeps } from './deps.ts';
import { buildWebSocketTextFrame } from '@hearth/core/websocket-frame';

export const WEBSOCKET_PATH = '/api/realtime/ws';
const HELLO_TIMEOUT_MS = 10_000;
/** How often the sweep looks for sockets past their hello's deadline: a hello times out within this of HELLO_TIMEOUT_MS. */
const HELLO_CHECK_MS = 1_000;
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

/** A shared frame's WebSocket frame, built once and written as is to every socket it goes to. */
const sharedFrames = new WeakMap<object, Buffer>();

function sharedFrame(frame: SharedFrame): Buffer {
  return encodeOnce(sharedFrames, frame, (shared) => buildWebSocketTextFrame(Buffer.from(frameJson(shared))));
}

/**
 * `raw` is the socket the upgrade came on, which ws writes to. A shared frame (a room event,
 * typing, presence) is written to it directly: `ws.send` would frame it again for each socket
 * (options objects, a header buffer, a two-buffer write). That keeps ws's order because
 * nothing waits in ws's sender: with permessage-deflate off (see the server's options) ws
 * writes every frame at once. Only while OPEN: after ws has sent its close frame, no data
 * frame may follow. Corking the socket holds ws's own frames too, so a burst leaves in one write.
 * A class, so that a connection's transport is one object with no closures.
 */
class WebSocketTransport implements Transport {
  readonly kind = 'websocket';
  readonly #ws: WebSocket;
  readonly #raw: Duplex;

  constructor(ws: WebSocket, raw: Duplex) {
    this.#ws = ws;
    this.#raw = raw;
  }

  send(frame: ServerFrame): void {
    if (!isSharedFrame(frame)) this.#ws.send(frameJson(frame));
    else if (this.#ws.readyState === WebSocket.OPEN) this.#raw.write(sharedFrame(frame));
  }

  bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  cork(): void {
    this.#raw.cork();
  }

  uncork(): void {
    this.#raw.uncork();
  }

  close(code: number): void {
    const ws = this.#ws;
    ws.close(code);
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}

/** What every socket served shares: the service's dependencies, this process's hub, the WebSocket hooks. */
interface SocketEndpoint {
  readonly deps: RealtimeDeps;
  readonly hub: Hub;
  readonly hooks: ConnectionHooks;
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
 *
 * ws makes one of these for each upgrade (the server's `WebSocket` option), and what the
 * endpoint knows of the client lives on it: its listeners are functions shared by all
 * sockets, and one sweep (SocketSweep) times hellos and liveness for all, so a connection
 * costs no closures and no timers of its own.
 */
class ServedSocket extends WebSocket {
  /** Set by `serve`, before any listener can run. */
  endpoint!: SocketEndpoint;
  transport!: Transport;
  /** Who signed in, until the hello opens the stream (the connection keeps the ids it needs). */
  signedIn: SignedIn | null = null;
  openedAt = 0;
  /** Set at the first hello, before any await, so a second hello cannot open a second stream. */
  greeted = false;
  /** Heard from since the last liveness round. */
  alive = true;
  connection: Connection | null = null;

  serve(endpoint: SocketEndpoint, raw: Duplex, signedIn: SignedIn): void {
    this.endpoint = endpoint;
    this.transport = new WebSocketTransport(this, raw);
    this.signedIn = signedIn;
    this.openedAt = Date.now();
    this.on('pong', onPong);
    this.on('message', onMessage);
    this.on('close', onClose);
    this.on('error', onError);
  }

  async receive(text: string): Promise<void> {
    const frame = frameOrRefuse(this, this.transport, text);
    if (frame === null) return;
    if (frame.type === 'hello') return this.#hello(frame.resume);
    const { connection } = this;
    if (connection === null) return;
    if (frame.type === 'ping') {
      connection.send({ type: 'pong' });
      await this.endpoint.hub.touch(connection);
    } else {
      await this.endpoint.hub.typing(connection, frame.roomId);
    }
  }

  closed(): void {
    const { connection } = this;
    if (connection === null) return;
    connection.dropped();
    const { hub, deps } = this.endpoint;
    void hub.detach(connection).catch((error: unknown) => deps.logger.warn({ err: error }, 'presence update failed'));
  }

  async #hello(resume: Readonly<Record<string, number>>): Promise<void> {
    const { signedIn } = this;
    if (this.greeted || signedIn === null) return;
    this.greeted = true;
    this.signedIn = null;
    const { deps, hub, hooks } = this.endpoint;
    try {
      this.connection = await openStream(deps, hub, { signedIn, transport: this.transport, resume, hooks });
    } catch (error) {
      deps.logger.warn({ err: error, userId: signedIn.user.id }, 'realtime stream could not open');
      refuseStream(this.transport, 'unavailable', UNAVAILABLE_STREAM_MESSAGE);
      return;
    }
    // The client left while the stream was opening: its close found no connection to drop.
    if (this.readyState === WebSocket.CLOSED || this.readyState === WebSocket.CLOSING) {
      this.connection.dropped();
      await hub.detach(this.connection);
    }
  }
}

// ws calls a listener with the socket as `this`; the server makes only ServedSockets.
function onPong(this: WebSocket): void {
  (this as ServedSocket).alive = true;
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const ws = this as ServedSocket;
  ws.alive = true;
  ws.receive(isBinary ? '' : data.toString()).catch((error: unknown) => ws.endpoint.deps.logger.error({ err: error }, 'websocket frame failed'));
}

function onClose(this: WebSocket): void {
  (this as ServedSocket).closed();
}

function onError(this: WebSocket, error: Error): void {
  (this as ServedSocket).endpoint.deps.logger.debug({ err: error }, 'websocket error');
}

/**
 * The endpoint's two timers, for all its sockets: one cuts off sockets that have not said
 * hello in time, the other pings every socket and cuts off one that did not answer (or say
 * anything) since the last round.
 */
class SocketSweep {
  readonly #sockets: ReadonlySet<ServedSocket>;
  readonly #timers: NodeJS.Timeout[];

  constructor(sockets: ReadonlySet<ServedSocket>) {
    this.#sockets = sockets;
    this.#timers = [setInterval(() => this.#helloDue(Date.now()), HELLO_CHECK_MS), setInterval(() => this.#liveness(), LIVENESS_MS)];
    for (const timer of this.#timers) timer.unref();
  }

  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
  }

  #helloDue(now: number): void {
    for (const ws of this.#sockets) {
      if (ws.greeted || now - ws.openedAt < HELLO_TIMEOUT_MS || ws.readyState !== WebSocket.OPEN) continue;
      ws.greeted = true;
      ws.signedIn = null;
      ws.send(JSON.stringify({ type: 'error', code: 'hello_timeout', message: `send hello within ${HELLO_TIMEOUT_MS / 1000} s` }));
      ws.transport.close(CLOSE_CODES.hello_timeout, 'hello_timeout');
    }
  }

  #liveness(): void {
    for (const ws of this.#sockets) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (!ws.alive) {
        ws.terminate();
        continue;
      }
      ws.alive = false;
      ws.ping();
    }
  }
}

/** Handles upgrades on WEBSOCKET_PATH; other paths are left to whoever else listens. */
export function createWebSocketEndpoint(deps: RealtimeDeps, hub: Hub, authenticate: Authenticate) {
  // permessage-deflate stays off: compressing each frame for each socket costs the fan-out
  // far more than it saves on chat-sized frames, and room events are written pre-framed.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false, WebSocket: ServedSocket });
  const endpoint: SocketEndpoint = { deps, hub, hooks: createConnectionHooks(deps, hub, 'websocket') };
  const sweep = new SocketSweep(wss.clients);

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
    wss.handleUpgrade(request, socket, head, (ws) => ws.serve(endpoint, socket, signedIn));
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
      sweep.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
