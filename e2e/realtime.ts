import WebSocket from 'ws';
import type { ClientFrame, ReadyFrame, RoomEvent, ServerFrame } from './protocol.ts';

/**
 * Realtime stream clients for tests and benchmarks: one over WebSocket (package
 * `ws`), one over Server-Sent Events read from fetch's body stream. Both collect
 * every frame, track the last sequence applied per room and let a test wait for
 * a frame with a deadline.
 */

export type Transport = 'websocket' | 'sse';

export interface StreamClosed {
  /** WebSocket close code; null for SSE (the response ended). */
  readonly code: number | null;
  readonly reason: string;
}

export interface StreamRefused {
  readonly status: number;
  readonly body: string;
}

export type Resume = Readonly<Record<string, number>>;

export interface RealtimeStream {
  readonly transport: Transport;
  /** Every frame received, in arrival order. */
  readonly frames: readonly ServerFrame[];
  /** The ready frame; rejects when the stream is refused or ends before it. */
  readonly ready: Promise<ReadyFrame>;
  /** Resolves when the stream ends, whoever ended it. */
  readonly closed: Promise<StreamClosed>;
  /** Set when the server refused the stream before it began (HTTP status and body). */
  readonly refused: StreamRefused | null;
  /** The last sequence applied per room: ready's starting point, then each room event. */
  lastSeq(roomId: string): number | undefined;
  lastSeqs(): Record<string, number>;
  /** The room events of one room, in arrival order. */
  roomEvents(roomId: string): RoomEvent[];
  /** The first frame (already received or coming) that matches; rejects after timeoutMs or when the stream ends. */
  waitFor<T extends ServerFrame>(predicate: (frame: ServerFrame) => frame is T, timeoutMs?: number, what?: string): Promise<T>;
  waitFor(predicate: (frame: ServerFrame) => boolean, timeoutMs?: number, what?: string): Promise<ServerFrame>;
  /** Waits until the last applied sequence of the room reaches seq. */
  waitForSeq(roomId: string, seq: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_WAIT_MS = 5_000;

export function isRoomEvent(frame: ServerFrame, roomId?: string, type?: RoomEvent['type']): frame is { type: 'room.event'; event: RoomEvent } {
  return frame.type === 'room.event' && (roomId === undefined || frame.event.roomId === roomId) && (type === undefined || frame.event.type === type);
}

interface Waiter {
  readonly predicate: (frame: ServerFrame) => boolean;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (error: Error) => void;
}

/** What both transports share: the frames, the per-room sequence, the waiters. */
class FrameCollector {
  readonly frames: ServerFrame[] = [];
  readonly #seqs = new Map<string, number>();
  readonly #waiters = new Set<Waiter>();
  #ended: StreamClosed | null = null;

  push(frame: ServerFrame): void {
    this.frames.push(frame);
    if (frame.type === 'ready') {
      for (const [roomId, seq] of Object.entries(frame.rooms)) this.#seqs.set(roomId, seq);
    } else if (frame.type === 'room.event') {
      this.#seqs.set(frame.event.roomId, frame.event.seq);
    }
    for (const waiter of this.#waiters) {
      if (waiter.predicate(frame)) waiter.resolve(frame);
    }
  }

  end(closed: StreamClosed): void {
    this.#ended = closed;
    for (const waiter of this.#waiters) waiter.reject(new Error(`the stream ended (code ${closed.code}, "${closed.reason}")`));
  }

  lastSeq(roomId: string): number | undefined {
    return this.#seqs.get(roomId);
  }

  lastSeqs(): Record<string, number> {
    return Object.fromEntries(this.#seqs);
  }

  roomEvents(roomId: string): RoomEvent[] {
    return this.frames.flatMap((frame) => (isRoomEvent(frame, roomId) ? [frame.event] : []));
  }

  waitFor(predicate: (frame: ServerFrame) => boolean, timeoutMs = DEFAULT_WAIT_MS, what = 'a matching frame'): Promise<ServerFrame> {
    const found = this.frames.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    if (this.#ended !== null) return Promise.reject(new Error(`waiting for ${what}: the stream had ended (code ${this.#ended.code})`));
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        predicate,
        resolve: (frame) => {
          done();
          resolve(frame);
        },
        reject: (error) => {
          done();
          reject(new Error(`waiting for ${what}: ${error.message}; last frames: ${this.#describeTail()}`));
        },
      };
      const timer = setTimeout(() => waiter.reject(new Error(`none within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  async waitForSeq(roomId: string, seq: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const reached = (): boolean => (this.#seqs.get(roomId) ?? -1) >= seq;
    if (reached()) return;
    await this.waitFor(() => reached(), timeoutMs, `room ${roomId} to reach seq ${seq} (at ${this.#seqs.get(roomId)})`);
  }

  #describeTail(): string {
    return `${this.frames.length} frames, ending ${JSON.stringify(this.frames.slice(-3)).slice(0, 600)}`;
  }
}

/** Builds the RealtimeStream face over a collector; the transport supplies close and the promises. */
function streamOf(
  transport: Transport,
  collector: FrameCollector,
  parts: { ready: Promise<ReadyFrame>; closed: Promise<StreamClosed>; refused: () => StreamRefused | null; close: () => Promise<void> },
): RealtimeStream {
  return {
    transport,
    frames: collector.frames,
    ready: parts.ready,
    closed: parts.closed,
    get refused() {
      return parts.refused();
    },
    lastSeq: (roomId) => collector.lastSeq(roomId),
    lastSeqs: () => collector.lastSeqs(),
    roomEvents: (roomId) => collector.roomEvents(roomId),
    waitFor: (predicate: (frame: ServerFrame) => boolean, timeoutMs?: number, what?: string) => collector.waitFor(predicate, timeoutMs, what),
    waitForSeq: (roomId, seq, timeoutMs) => collector.waitForSeq(roomId, seq, timeoutMs),
    close: parts.close,
  } as RealtimeStream;
}

/** A promise for the ready frame that never counts as unhandled (tests that expect a refusal need not await it). */
function readyOf(collector: FrameCollector, closed: Promise<StreamClosed>, refused: () => StreamRefused | null): Promise<ReadyFrame> {
  const ready = new Promise<ReadyFrame>((resolve, reject) => {
    collector.waitFor((frame) => frame.type === 'ready', 60_000, 'ready').then((frame) => resolve(frame as ReadyFrame), reject);
    void closed.then((end) => {
      const refusal = refused();
      const why = refusal === null ? `the stream ended (code ${end.code}, "${end.reason}")` : `refused with ${refusal.status}: ${refusal.body}`;
      reject(new Error(`no ready frame: ${why}; frames: ${JSON.stringify(collector.frames).slice(0, 600)}`));
    });
  });
  ready.catch(() => undefined);
  return ready;
}

export interface WebSocketOptions {
  /** The Cookie header (the session). */
  readonly cookie?: string;
  /** hello.resume; {} when omitted. */
  readonly resume?: Resume;
  /** Send hello on open (default true). */
  readonly hello?: boolean;
  /** The Origin header; none when omitted. */
  readonly origin?: string;
}

export interface WebSocketStream extends RealtimeStream {
  readonly socket: WebSocket;
  /** Resolves once the upgrade is done. */
  readonly opened: Promise<void>;
  send(frame: ClientFrame | string): void;
}

function parseFrame(text: string): ServerFrame {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    throw new Error(`not a frame: ${text.slice(0, 200)}`);
  }
  return value as ServerFrame;
}

export function connectWebSocket(baseUrl: string, options: WebSocketOptions = {}): WebSocketStream {
  const collector = new FrameCollector();
  const headers: Record<string, string> = options.cookie === undefined ? {} : { cookie: options.cookie };
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/realtime/ws`, {
    headers,
    ...(options.origin === undefined ? {} : { origin: options.origin }),
    perMessageDeflate: false,
  });
  let refused: StreamRefused | null = null;
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('close', () => reject(new Error('the WebSocket closed before it opened')));
  });
  opened.catch(() => undefined);
  const closed = new Promise<StreamClosed>((resolve) => {
    socket.once('close', (code, reason) => {
      const end = { code, reason: reason.toString() };
      collector.end(end);
      resolve(end);
    });
  });
  socket.on('unexpected-response', (_request, response) => {
    let body = '';
    response.on('data', (chunk: Buffer) => (body += chunk.toString()));
    response.on('end', () => {
      refused = { status: response.statusCode ?? 0, body };
      socket.terminate();
    });
  });
  socket.on('error', () => undefined); // the close event reports it
  socket.on('message', (data: WebSocket.RawData) => collector.push(parseFrame(data.toString())));
  if (options.hello !== false) {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'hello', resume: options.resume ?? {} })));
  }
  const stream = streamOf('websocket', collector, {
    ready: readyOf(collector, closed, () => refused),
    closed,
    refused: () => refused,
    close: async () => {
      if (socket.readyState === WebSocket.CLOSED) return;
      const timer = setTimeout(() => socket.terminate(), 2_000);
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000);
      await closed;
      clearTimeout(timer);
    },
  });
  return Object.assign(stream, {
    socket,
    opened,
    send: (frame: ClientFrame | string) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
  });
}

export interface SseOptions {
  readonly cookie?: string;
  /** The resume query parameter; omitted when undefined. */
  readonly resume?: Resume;
  /** The Last-Event-ID header, as EventSource sends it when it reconnects. */
  readonly lastEventId?: string;
}

/** One SSE message as it came over the wire. */
export interface SseMessage {
  readonly event: string;
  readonly id: string | null;
  readonly data: string;
}

export interface SseStream extends RealtimeStream {
  /** The raw SSE messages (event name, id, data), in order. */
  readonly messages: readonly SseMessage[];
  /** Comment lines seen (such as ": ping"). */
  readonly comments: readonly string[];
  /** Stop reading the response (the server's writes then pile up), and read again. */
  pause(): void;
  resume(): void;
}

/** Lets the reading loop wait while a test holds it paused. */
class Gate {
  #open: Promise<void> = Promise.resolve();
  #release: (() => void) | null = null;
  close(): void {
    if (this.#release !== null) return;
    this.#open = new Promise((resolve) => (this.#release = resolve));
  }
  open(): void {
    this.#release?.();
    this.#release = null;
  }
  passed(): Promise<void> {
    return this.#open;
  }
}

/** Splits an SSE byte stream into messages (WHATWG "event stream interpretation", minus retry). */
class SseParser {
  #buffer = '';
  #event = '';
  #id: string | null = null;
  #data: string[] = [];
  readonly #onMessage: (message: SseMessage) => void;
  readonly #onComment: (comment: string) => void;

  constructor(onMessage: (message: SseMessage) => void, onComment: (comment: string) => void) {
    this.#onMessage = onMessage;
    this.#onComment = onComment;
  }

  feed(text: string): void {
    this.#buffer += text;
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
  }

  #line(line: string): void {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return this.#onComment(line.slice(1).trim());
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id') this.#id = value;
  }

  #dispatch(): void {
    if (this.#data.length > 0) this.#onMessage({ event: this.#event || 'message', id: this.#id, data: this.#data.join('\n') });
    this.#event = '';
    this.#data = [];
    this.#id = null;
  }
}

async function pump(response: Response, parser: SseParser, gate: Gate): Promise<void> {
  const reader = response.body?.getReader();
  if (reader === undefined) return;
  const decoder = new TextDecoder();
  for (;;) {
    await gate.passed();
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  parser.feed(decoder.decode() + '\n\n');
}

function sseUrl(baseUrl: string, resume: Resume | undefined): string {
  const query = resume === undefined ? '' : `?resume=${encodeURIComponent(JSON.stringify(resume))}`;
  return `${baseUrl}/api/realtime/sse${query}`;
}

export function connectSse(baseUrl: string, options: SseOptions = {}): SseStream {
  const collector = new FrameCollector();
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const abort = new AbortController();
  const gate = new Gate();
  let refused: StreamRefused | null = null;
  const parser = new SseParser(
    (message) => {
      messages.push(message);
      collector.push(parseFrame(message.data));
    },
    (comment) => comments.push(comment),
  );
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.cookie !== undefined) headers['cookie'] = options.cookie;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;

  const run = async (): Promise<StreamClosed> => {
    try {
      const response = await fetch(sseUrl(baseUrl, options.resume), { headers, signal: abort.signal });
      if (response.status !== 200) {
        refused = { status: response.status, body: await response.text() };
        return { code: null, reason: `refused with ${response.status}` };
      }
      await pump(response, parser, gate);
      return { code: null, reason: 'the response ended' };
    } catch (error) {
      return { code: null, reason: abort.signal.aborted ? 'closed by the client' : `failed: ${String(error)}` };
    }
  };
  const closed = run().then((end) => {
    collector.end(end);
    return end;
  });
  const stream = streamOf('sse', collector, {
    ready: readyOf(collector, closed, () => refused),
    closed,
    refused: () => refused,
    close: async () => {
      gate.open();
      abort.abort();
      await closed;
    },
  });
  return Object.assign(stream, { messages, comments, pause: () => gate.close(), resume: () => gate.open() });
}

export type AnyStreamOptions = WebSocketOptions & SseOptions;

/** Connects over the given transport with the same options (resume, cookie). */
export function connectStream(transport: Transport, baseUrl: string, options: AnyStreamOptions = {}): RealtimeStream {
  return transport === 'websocket' ? connectWebSocket(baseUrl, options) : connectSse(baseUrl, options);
}
