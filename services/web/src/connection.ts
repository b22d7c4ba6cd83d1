import type { ClientFrame, ServerFrame } from './api-types.ts';
import { backoffDelay } from './backoff.ts';
import { browserSseDeps, openSseSocket } from './sse-socket.ts';
import type { Transport } from './transport-choice.ts';
import { createTransportSwitch } from './transport-switch.ts';

/**
 * The one realtime connection (protocol §4): says hello with the resume map, pings every
 * 50 s, and reconnects with exponential back-off until stopped. What the frames mean is the
 * caller's business. The socket and the browser's 'online' event are injected, so the
 * lifecycle is tested without a browser; in the browser the socket is a WebSocket to
 * /api/realtime/ws, or SSE plus POST when WebSockets do not get through (transport-switch.ts).
 */

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'stopped';

export interface ConnectionHandlers {
  /** Per room, the last sequence applied; read at every (re)connect. */
  resume(): Record<string, number>;
  onFrame(frame: ServerFrame): void;
  onStatus(status: ConnectionStatus): void;
  /** Close code 4001: the session is gone. The connection stays stopped. */
  onUnauthenticated(): void;
  /** An abnormal close (code 1006) may be a refused upgrade; the caller can check the session. */
  onAbnormalClose?(): void;
}

/** What the connection hears from its socket. */
export interface SocketEvents {
  onOpen(): void;
  onMessage(data: unknown): void;
  onClose(code: number): void;
}

/** A socket as this module uses it: a browser WebSocket or SSE stream behind `browserConnectionDeps`, a fake in tests. */
export interface SocketLike {
  isOpen(): boolean;
  send(data: string): void;
  /** Stops the events first, so none of the old socket's late frames or its close are handled. */
  close(code: number, reason: string): void;
}

export interface ConnectionDeps {
  openSocket(events: SocketEvents): SocketLike;
  /** Calls `listener` when the browser comes back online; returns the unsubscribe. */
  watchOnline(listener: () => void): () => void;
  random?(): number;
}

export interface Connection {
  start(): void;
  stop(): void;
  /** Drops the connection and reconnects at once with an up-to-date resume map. */
  resync(): void;
  send(frame: ClientFrame): boolean;
}

const PING_EVERY_MS = 50_000;
const RECONNECT_BACKOFF = { firstMs: 250, maxMs: 5_000 };
const CLOSE_UNAUTHENTICATED = 4001;
const CLOSE_ABNORMAL = 1006;

/** Back-off before reconnect attempt `attempt` (0-based): doubling from 250 ms, at most 5 s, with ±20 % jitter. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  return backoffDelay(attempt, RECONNECT_BACKOFF, random);
}

export function realtimeUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/realtime/ws`;
}

export function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null;
  try {
    const frame = JSON.parse(data) as unknown;
    if (typeof frame === 'object' && frame !== null && typeof (frame as { type?: unknown }).type === 'string') {
      return frame as ServerFrame;
    }
  } catch {
    // A frame that is not JSON is ignored; the server never sends one.
  }
  return null;
}

function openBrowserSocket(events: SocketEvents): SocketLike {
  const ws = new WebSocket(realtimeUrl(window.location));
  ws.onopen = () => events.onOpen();
  ws.onmessage = (message: MessageEvent) => events.onMessage(message.data);
  ws.onclose = (event: CloseEvent) => events.onClose(event.code);
  return {
    isOpen: () => ws.readyState === WebSocket.OPEN,
    send: (data) => ws.send(data),
    close(code, reason) {
      ws.onopen = null;
      ws.onmessage = null;
      ws.onclose = null;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    },
  };
}

/** Which transport the page is on, for whoever debugs it: `data-transport` on the app's root element. */
function showTransport(transport: Transport): void {
  (document.getElementById('app') ?? document.documentElement).dataset['transport'] = transport;
}

/** The browser's own WebSocket, falling back to its EventSource, and its 'online' event. One transport choice per connection. */
export function browserConnectionDeps(): ConnectionDeps {
  const sse = browserSseDeps();
  return {
    openSocket: createTransportSwitch({
      openWebSocket: openBrowserSocket,
      openSse: (events) => openSseSocket(events, sse),
      now: Date.now,
      onTransport: showTransport,
    }),
    watchOnline(listener) {
      window.addEventListener('online', listener);
      return () => window.removeEventListener('online', listener);
    },
  };
}

/** The connection's two timers: the wait before reconnecting, and the ping while open. */
function createTimers() {
  let retry: ReturnType<typeof setTimeout> | null = null;
  let ping: ReturnType<typeof setInterval> | null = null;
  return {
    retryAfter(ms: number, retryNow: () => void): void {
      retry = setTimeout(() => {
        retry = null;
        retryNow();
      }, ms);
    },
    pingEvery(ms: number, pingNow: () => void): void {
      ping = setInterval(pingNow, ms);
    },
    clear(): void {
      if (retry !== null) clearTimeout(retry);
      if (ping !== null) clearInterval(ping);
      retry = null;
      ping = null;
    },
  };
}

/** The current socket, if any: frames go out only while it is open, and a dropped one is forgotten at once. */
function createSocketSlot() {
  let socket: SocketLike | null = null;
  return {
    set(next: SocketLike | null): void {
      socket = next;
    },
    isEmpty: (): boolean => socket === null,
    send(frame: ClientFrame): boolean {
      if (socket?.isOpen() !== true) return false;
      socket.send(JSON.stringify(frame));
      return true;
    },
    drop(code: number, reason: string): void {
      const old = socket;
      socket = null;
      old?.close(code, reason);
    },
  };
}

export function createConnection(handlers: ConnectionHandlers, deps: ConnectionDeps): Connection {
  const timers = createTimers();
  const socket = createSocketSlot();
  const send = socket.send;
  let attempt = 0;
  let stopped = true;
  let unwatchOnline: (() => void) | null = null;

  function scheduleReconnect(delay: number): void {
    timers.clear();
    if (stopped) return;
    handlers.onStatus('reconnecting');
    timers.retryAfter(delay, connect);
  }

  function onClose(code: number): void {
    socket.set(null);
    timers.clear();
    if (stopped) return;
    if (code === CLOSE_UNAUTHENTICATED) {
      stopped = true;
      handlers.onStatus('stopped');
      handlers.onUnauthenticated();
      return;
    }
    if (code === CLOSE_ABNORMAL) handlers.onAbnormalClose?.();
    scheduleReconnect(reconnectDelay(attempt, deps.random));
    attempt += 1;
  }

  function onMessage(data: unknown): void {
    const frame = parseFrame(data);
    if (frame === null) return;
    if (frame.type === 'ready') {
      attempt = 0;
      handlers.onStatus('open');
    }
    handlers.onFrame(frame);
  }

  function onOpen(): void {
    send({ type: 'hello', resume: handlers.resume() });
    timers.pingEvery(PING_EVERY_MS, () => send({ type: 'ping' }));
  }

  function connect(): void {
    if (stopped) return;
    handlers.onStatus('connecting');
    socket.set(deps.openSocket({ onOpen, onMessage, onClose }));
  }

  function onOnline(): void {
    if (stopped || !socket.isEmpty()) return;
    timers.clear();
    connect();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      attempt = 0;
      unwatchOnline = deps.watchOnline(onOnline);
      connect();
    },
    stop() {
      stopped = true;
      timers.clear();
      unwatchOnline?.();
      unwatchOnline = null;
      socket.drop(1000, 'signed out');
      handlers.onStatus('stopped');
    },
    resync() {
      if (stopped) return;
      socket.drop(4000, 'resync');
      scheduleReconnect(0);
    },
    send,
  };
}
