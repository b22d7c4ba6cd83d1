import type { CLOSE_CODES } from '@hearth/core';
import type { ClientFrame, CloseReason, ServerFrame } from './api-types.ts';
import { csrfHeaders } from './api.ts';
import type { SocketEvents, SocketLike } from './connection.ts';

/**
 * The realtime stream over Server-Sent Events (protocol §4.1), as a SocketLike: the connection
 * drives it exactly as it drives a WebSocket. What the connection sends becomes its HTTP
 * equivalent: `hello` opens the EventSource with the resume map in `?resume=`, `typing` is
 * `POST /api/rooms/{roomId}/typing`, and `ping` is dropped (an open stream keeps its user
 * present by itself: the server renews every open connection's presence). So the socket "opens"
 * at once, for the connection to say hello, and the stream is requested then.
 *
 * The EventSource never reconnects by itself: its Last-Event-ID would resume one room only
 * (protocol §4.1). Any failure closes it and reports a close, and the connection reconnects
 * with its up-to-date resume map, as it does after a WebSocket drop.
 */

export const SSE_PATH = '/api/realtime/sse';

/** The part of the browser's EventSource this module uses. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

export interface SseSocketDeps {
  openEventSource(url: string): EventSourceLike;
  /** Tells the room the user is typing; a failure does not matter (as a lost WebSocket frame). */
  postTyping(roomId: string): void;
  /** Runs `task` once the caller holds the socket; a microtask in the browser. */
  defer(task: () => void): void;
}

/** The server's close codes, by the error frame's code: an SSE stream has no close code of its own. */
const CLOSE_CODE_OF_ERROR: typeof CLOSE_CODES = {
  shutting_down: 1001,
  unavailable: 1013,
  unauthenticated: 4001,
  bad_frame: 4400,
  hello_timeout: 4408,
  too_slow: 4429,
};

/** What a connection that ended without a close code reports, as a WebSocket does. */
const CLOSE_ABNORMAL = 1006;

/** Every server frame's type is an SSE event name; a type missing here fails the type check. */
const FRAME_EVENTS: Record<ServerFrame['type'], true> = {
  ready: true,
  'room.event': true,
  typing: true,
  presence: true,
  'user.updated': true,
  pong: true,
  error: true,
};

export function sseUrl(resume: Readonly<Record<string, number>>): string {
  return Object.keys(resume).length === 0 ? SSE_PATH : `${SSE_PATH}?resume=${encodeURIComponent(JSON.stringify(resume))}`;
}

/** The close code an `error` frame's data stands for; 1006 for data that is no error frame. */
function closeCodeOf(data: string): number {
  try {
    const code = (JSON.parse(data) as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(CLOSE_CODE_OF_ERROR, code)) return CLOSE_CODE_OF_ERROR[code as CloseReason];
  } catch {
    // Not JSON: the stream ended some other way.
  }
  return CLOSE_ABNORMAL;
}

/** An EventSource `error` event is a server frame when it carries data, else the stream failing. */
function frameData(event: Event): string | null {
  const data = (event as { data?: unknown }).data;
  return typeof data === 'string' ? data : null;
}

export function openSseSocket(initial: SocketEvents, deps: SseSocketDeps): SocketLike {
  let events: SocketEvents | null = initial;
  let source: EventSourceLike | null = null;
  let opened = false;

  /** Ends the socket once: the EventSource closed, and the connection told. */
  function end(code: number): void {
    const told = events;
    events = null;
    source?.close();
    told?.onClose(code);
  }

  function onFrame(event: Event): void {
    const data = frameData(event);
    if (event.type === 'error' && data === null) return end(CLOSE_ABNORMAL);
    if (data === null) return;
    events?.onMessage(data);
    // An error frame is the stream's last (protocol §4.4): what it says is the close.
    if (event.type === 'error') end(closeCodeOf(data));
  }

  function open(resume: Readonly<Record<string, number>>): void {
    if (source !== null || events === null) return;
    const stream = deps.openEventSource(sseUrl(resume));
    source = stream;
    for (const type of Object.keys(FRAME_EVENTS)) stream.addEventListener(type, onFrame);
  }

  function send(frame: ClientFrame): void {
    switch (frame.type) {
      case 'hello':
        return open(frame.resume);
      case 'typing':
        return deps.postTyping(frame.roomId);
      case 'ping':
        return;
    }
  }

  deps.defer(() => {
    if (events === null) return;
    opened = true;
    events.onOpen();
  });
  return {
    isOpen: () => opened && events !== null,
    send: (data) => send(JSON.parse(data) as ClientFrame),
    close() {
      events = null;
      source?.close();
    },
  };
}

/** The browser's EventSource, and the typing POST with the session's CSRF token. */
export function browserSseDeps(): SseSocketDeps {
  return {
    openEventSource: (url) => new EventSource(url),
    postTyping(roomId) {
      const init: RequestInit = { method: 'POST', headers: { accept: 'application/json', ...csrfHeaders() }, credentials: 'same-origin' };
      void fetch(`/api/rooms/${encodeURIComponent(roomId)}/typing`, init).catch(() => undefined);
    },
    // Called as a method of these deps, the browser's own queueMicrotask throws "Illegal invocation".
    defer: (task) => queueMicrotask(task),
  };
}
