import type { ClientFrame, ServerFrame } from './api-types.ts';

/**
 * The one WebSocket to /api/realtime/ws (protocol §4): says hello with the resume
 * map, pings every 50 s, and reconnects with exponential back-off until stopped.
 * What the frames mean is the caller's business.
 */

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'stopped';

export interface RealtimeHandlers {
  /** Per room, the last sequence applied; read at every (re)connect. */
  resume(): Record<string, number>;
  onFrame(frame: ServerFrame): void;
  onStatus(status: ConnectionStatus): void;
  /** Close code 4001: the session is gone. The connection stays stopped. */
  onUnauthenticated(): void;
  /** An abnormal close (code 1006) may be a refused upgrade; the caller can check the session. */
  onAbnormalClose?(): void;
}

export interface Realtime {
  start(): void;
  stop(): void;
  /** Drops the connection and reconnects at once with an up-to-date resume map. */
  resync(): void;
  send(frame: ClientFrame): boolean;
}

const PING_EVERY_MS = 50_000;
const MAX_DELAY_MS = 5_000;
const FIRST_DELAY_MS = 250;
const CLOSE_UNAUTHENTICATED = 4001;

/** Back-off before reconnect attempt `attempt` (0-based): doubling from 250 ms, at most 5 s, with ±20 % jitter. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 10));
  return Math.min(MAX_DELAY_MS, Math.round(base * (0.8 + 0.4 * random())));
}

export function realtimeUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/realtime/ws`;
}

function parseFrame(data: unknown): ServerFrame | null {
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

export function createRealtime(handlers: RealtimeHandlers): Realtime {
  let socket: WebSocket | null = null;
  let attempt = 0;
  let stopped = true;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let pingTimer: ReturnType<typeof setInterval> | null = null;

  function clearTimers(): void {
    if (retryTimer !== null) clearTimeout(retryTimer);
    if (pingTimer !== null) clearInterval(pingTimer);
    retryTimer = null;
    pingTimer = null;
  }

  function send(frame: ClientFrame): boolean {
    if (socket === null || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /** Detaches the old socket first so none of its late frames or its close are handled. */
  function dropSocket(code: number, reason: string): void {
    const old = socket;
    socket = null;
    if (old === null) return;
    old.onopen = null;
    old.onmessage = null;
    old.onclose = null;
    old.onerror = null;
    if (old.readyState === WebSocket.OPEN || old.readyState === WebSocket.CONNECTING) old.close(code, reason);
  }

  function scheduleReconnect(delay: number): void {
    clearTimers();
    if (stopped) return;
    handlers.onStatus('reconnecting');
    retryTimer = setTimeout(connect, delay);
  }

  function onClose(event: CloseEvent): void {
    socket = null;
    clearTimers();
    if (stopped) return;
    if (event.code === CLOSE_UNAUTHENTICATED) {
      stopped = true;
      handlers.onStatus('stopped');
      handlers.onUnauthenticated();
      return;
    }
    if (event.code === 1006) handlers.onAbnormalClose?.();
    scheduleReconnect(reconnectDelay(attempt));
    attempt += 1;
  }

  function connect(): void {
    retryTimer = null;
    if (stopped) return;
    handlers.onStatus('connecting');
    const ws = new WebSocket(realtimeUrl(window.location));
    socket = ws;
    ws.onopen = () => {
      send({ type: 'hello', resume: handlers.resume() });
      pingTimer = setInterval(() => send({ type: 'ping' }), PING_EVERY_MS);
    };
    ws.onmessage = (message: MessageEvent) => {
      const frame = parseFrame(message.data);
      if (frame === null) return;
      if (frame.type === 'ready') {
        attempt = 0;
        handlers.onStatus('open');
      }
      handlers.onFrame(frame);
    };
    ws.onclose = onClose;
  }

  function onOnline(): void {
    if (!stopped && socket === null) {
      clearTimers();
      connect();
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      attempt = 0;
      window.addEventListener('online', onOnline);
      connect();
    },
    stop() {
      stopped = true;
      clearTimers();
      window.removeEventListener('online', onOnline);
      dropSocket(1000, 'signed out');
      handlers.onStatus('stopped');
    },
    resync() {
      if (stopped) return;
      dropSocket(4000, 'resync');
      scheduleReconnect(0);
    },
    send,
  };
}
