/**
 * Which transport the realtime connection uses next (protocol §4.1): WebSocket first, Server-Sent
 * Events plus POST when the WebSocket cannot be used. Pure: the caller tells it how each attempt
 * ended and asks it before each attempt.
 *
 * - WebSocket → SSE when `failedOpensBeforeSse` attempts in a row closed before a single frame
 *   arrived (a proxy or firewall refusing the upgrade looks like that), or when
 *   `dropsBeforeSse` connections that had worked were dropped abnormally within `dropWindowMs`
 *   (a proxy that lets the upgrade through and then cuts it).
 * - SSE → WebSocket when SSE fails to open as often in a row: then neither transport gets
 *   through, so the server or the network is down rather than the WebSocket blocked, and
 *   WebSocket, the better transport, should be the one waiting when it comes back. Without
 *   this, every page that reconnected during a server restart would stay on SSE.
 * - SSE → WebSocket again at the first reconnect after `retryWebSocketAfterMs` on SSE: a laptop
 *   moves from a network that blocks WebSockets to one that does not. Only at a reconnect (the
 *   stream dropped anyway), never by cutting a working SSE stream, so the retry costs nothing
 *   while SSE works, and at most two quick failed attempts when WebSockets are still blocked.
 */

export type Transport = 'websocket' | 'sse';

export interface TransportChoice {
  readonly transport: Transport;
  /** Attempts in a row on `transport` that closed before any frame arrived. */
  readonly failedOpens: number;
  /** When working WebSocket connections were dropped abnormally, those within the window. */
  readonly drops: readonly number[];
  /** When `transport` was chosen. */
  readonly since: number;
}

/** How one attempt ended. */
export interface AttemptEnd {
  /** Whether any frame arrived on it (`ready` comes first): the transport got through. */
  readonly heard: boolean;
  /** The WebSocket close code (an SSE socket reports the code its error frame stands for, else 1006). */
  readonly code: number;
  readonly at: number;
}

export const TRANSPORT_RULES = {
  failedOpensBeforeSse: 2,
  dropsBeforeSse: 3,
  dropWindowMs: 60_000,
  failedOpensBeforeWebSocket: 2,
  retryWebSocketAfterMs: 30 * 60_000,
} as const;

/** The close codes the server sends on purpose (protocol §4.4), and a normal close: none says the transport is unreliable. */
const DELIBERATE_CLOSES: ReadonlySet<number> = new Set([1000, 1001, 1013, 4001, 4400, 4408, 4429]);

export function initialTransportChoice(now: number): TransportChoice {
  return { transport: 'websocket', failedOpens: 0, drops: [], since: now };
}

function chose(transport: Transport, now: number): TransportChoice {
  return { transport, failedOpens: 0, drops: [], since: now };
}

/** A close with no deliberate code: the network or something on the way cut the connection. */
export function isDrop(code: number): boolean {
  return !DELIBERATE_CLOSES.has(code);
}

/** The choice for the attempt about to start: WebSocket again after a long while on SSE. */
export function choiceForAttempt(choice: TransportChoice, now: number): TransportChoice {
  if (choice.transport === 'sse' && now - choice.since >= TRANSPORT_RULES.retryWebSocketAfterMs) return chose('websocket', now);
  return choice;
}

/** The choice after an attempt on `choice.transport` ended. */
export function choiceAfterAttempt(choice: TransportChoice, end: AttemptEnd): TransportChoice {
  if (!end.heard) return afterFailedOpen(choice, end.at);
  if (choice.transport === 'sse' || !isDrop(end.code)) return { ...choice, failedOpens: 0 };
  const drops = [...choice.drops.filter((at) => end.at - at < TRANSPORT_RULES.dropWindowMs), end.at];
  if (drops.length >= TRANSPORT_RULES.dropsBeforeSse) return chose('sse', end.at);
  return { ...choice, failedOpens: 0, drops };
}

function afterFailedOpen(choice: TransportChoice, at: number): TransportChoice {
  const failedOpens = choice.failedOpens + 1;
  if (choice.transport === 'websocket' && failedOpens >= TRANSPORT_RULES.failedOpensBeforeSse) return chose('sse', at);
  if (choice.transport === 'sse' && failedOpens >= TRANSPORT_RULES.failedOpensBeforeWebSocket) return chose('websocket', at);
  return { ...choice, failedOpens };
}
