import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { RoomEvent, ServerFrame } from '@hearth/core';

/** Clients of the realtime stream for the integration tests: they keep every frame and let a test wait for one. */

export interface Closed {
  /** The WebSocket close code; null for SSE (the response ended). */
  readonly code: number | null;
}

type Predicate = (frame: ServerFrame) => boolean;

class Frames {
  readonly list: ServerFrame[] = [];
  readonly #waiters = new Set<{ predicate: Predicate; resolve: (frame: ServerFrame) => void }>();

  push(frame: ServerFrame): void {
    this.list.push(frame);
    for (const waiter of this.#waiters) {
      if (waiter.predicate(frame)) {
        this.#waiters.delete(waiter);
        waiter.resolve(frame);
      }
    }
  }

  waitFor(predicate: Predicate, what: string, timeoutMs: number): Promise<ServerFrame> {
    const found = this.list.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms; last frames: ${JSON.stringify(this.list.slice(-3)).slice(0, 500)}`));
      }, timeoutMs);
      const waiter = {
        predicate,
        resolve: (frame: ServerFrame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      this.#waiters.add(waiter);
    });
  }
}

/** The room events of one room among the frames, in arrival order. */
export function roomEventsOf(frames: readonly ServerFrame[], roomId: string): RoomEvent[] {
  return frames.flatMap((frame) => (frame.type === 'room.event' && frame.event.roomId === roomId ? [frame.event] : []));
}

export function isEventAt(roomId: string, seq: number): Predicate {
  return (frame) => frame.type === 'room.event' && frame.event.roomId === roomId && frame.event.seq === seq;
}

export interface WsOptions {
  readonly cookie?: string;
  readonly origin?: string;
  /** hello.resume; no hello at all with false. */
  readonly hello?: Readonly<Record<string, number>> | false;
}

export class WsClient {
  readonly socket: WebSocket;
  readonly #frames = new Frames();
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  /** The HTTP status and body when the upgrade was refused. */
  refused: { status: number; body: string } | null = null;

  constructor(baseUrl: string, options: WsOptions = {}) {
    this.socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/realtime/ws`, {
      headers: options.cookie === undefined ? {} : { cookie: options.cookie },
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      perMessageDeflate: false,
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('close', () => reject(new Error('closed before it opened')));
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve({ code })));
    this.socket.on('error', () => undefined);
    this.socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        this.refused = { status: response.statusCode ?? 0, body };
        this.socket.terminate();
      });
    });
    this.socket.on('message', (data: WebSocket.RawData) => this.#frames.push(JSON.parse(data.toString()) as ServerFrame));
    const hello = options.hello ?? {};
    if (hello !== false) this.socket.once('open', () => this.send({ type: 'hello', resume: hello }));
  }

  get frames(): readonly ServerFrame[] {
    return this.#frames.list;
  }

  send(frame: object | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  waitFor(predicate: Predicate, what = 'matching frame', timeoutMs = 5_000): Promise<ServerFrame> {
    return this.#frames.waitFor(predicate, what, timeoutMs);
  }

  async ready(): Promise<Extract<ServerFrame, { type: 'ready' }>> {
    return (await this.waitFor((f) => f.type === 'ready', 'ready')) as Extract<ServerFrame, { type: 'ready' }>;
  }

  /** Stops reading from the socket: the kernel buffers fill, then the server's. */
  pauseReading(): void {
    (this.socket as unknown as { _socket: Socket })._socket.pause();
  }

  resumeReading(): void {
    (this.socket as unknown as { _socket: Socket })._socket.resume();
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const timer = setTimeout(() => this.socket.terminate(), 1_000);
    this.socket.close(1000);
    await this.closed;
    clearTimeout(timer);
  }
}

export interface SseMessage {
  readonly event: string;
  readonly id: string | null;
  readonly data: string;
}

export interface SseOptions {
  readonly cookie: string;
  readonly resume?: Readonly<Record<string, number>>;
  readonly lastEventId?: string;
}

/** An SSE stream read from fetch's body, split into messages as EventSource would. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly #frames = new Frames();
  readonly #abort = new AbortController();
  readonly closed: Promise<Closed>;
  status = 0;
  #buffer = '';
  #event = '';
  #id: string | null = null;
  #data: string[] = [];

  constructor(baseUrl: string, options: SseOptions) {
    const query = options.resume === undefined ? '' : `?resume=${encodeURIComponent(JSON.stringify(options.resume))}`;
    const headers: Record<string, string> = { accept: 'text/event-stream', cookie: options.cookie };
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    this.closed = this.#run(`${baseUrl}/api/realtime/sse${query}`, headers);
  }

  get frames(): readonly ServerFrame[] {
    return this.#frames.list;
  }

  waitFor(predicate: Predicate, what = 'matching frame', timeoutMs = 5_000): Promise<ServerFrame> {
    return this.#frames.waitFor(predicate, what, timeoutMs);
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.closed;
  }

  async #run(url: string, headers: Record<string, string>): Promise<Closed> {
    try {
      const response = await fetch(url, { headers, signal: this.#abort.signal });
      this.status = response.status;
      const reader = response.body?.getReader();
      const decoder = new TextDecoder();
      while (reader !== undefined) {
        const { done, value } = await reader.read();
        if (done) break;
        this.#feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // Aborted by close(), or the server went away: either way the stream has ended.
    }
    return { code: null };
  }

  #feed(text: string): void {
    this.#buffer += text;
    const lines = this.#buffer.split('\n');
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        const message = { event: this.#event || 'message', id: this.#id, data: this.#data.join('\n') };
        this.messages.push(message);
        this.#frames.push(JSON.parse(message.data) as ServerFrame);
      }
      this.#event = '';
      this.#id = null;
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.#event = value;
    else if (field === 'id') this.#id = value;
    else if (field === 'data') this.#data.push(value);
  }
}
