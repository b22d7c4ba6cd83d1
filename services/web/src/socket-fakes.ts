/// Fakes the realtime connection's unit tests share; no part of the app imports this file.
import type { ServerFrame } from './api-types.ts';
import type { SocketEvents, SocketLike } from './connection.ts';
import type { EventSourceLike } from './sse-socket.ts';

/** A WebSocket the test drives: it opens, receives frames and closes when told. */
export class FakeSocket implements SocketLike {
  open = false;
  closedWith: number | null = null;
  readonly sent: unknown[] = [];
  private events: SocketEvents | null;
  constructor(events: SocketEvents) {
    this.events = events;
  }
  isOpen = (): boolean => this.open;
  send = (data: string): void => void this.sent.push(JSON.parse(data));
  close = (code: number): void => {
    this.events = null;
    this.open = false;
    this.closedWith = code;
  };
  serverOpens(): void {
    this.open = true;
    this.events?.onOpen();
  }
  serverSends(frame: ServerFrame): void {
    this.events?.onMessage(JSON.stringify(frame));
  }
  serverCloses(code: number): void {
    this.open = false;
    this.events?.onClose(code);
  }
}

/** An EventSource the test drives: the server sends named events, or the stream fails. */
export class FakeEventSource implements EventSourceLike {
  closed = false;
  readonly url: string;
  private readonly listeners = new Map<string, ((event: Event) => void)[]>();
  constructor(url: string) {
    this.url = url;
  }
  addEventListener(type: string, listener: (event: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
  }
  /** The resume map of the stream's URL. */
  resume(): unknown {
    const query = new URL(this.url, 'http://hearth.test').searchParams.get('resume');
    return query === null ? {} : JSON.parse(query);
  }
  /** A frame as the server writes it: `event:` its type, `data:` its JSON. */
  serverSends(frame: ServerFrame): void {
    this.dispatch({ type: frame.type, data: JSON.stringify(frame) } as unknown as Event);
  }
  /** The stream failed (the response ended, or was refused): a plain `error` event without data. */
  fails(): void {
    this.dispatch({ type: 'error' } as Event);
  }
  /** A late event the browser had queued before `close`. */
  lateEvent(frame: ServerFrame): void {
    for (const listener of this.listeners.get(frame.type) ?? []) listener({ type: frame.type, data: JSON.stringify(frame) } as unknown as Event);
  }
  private dispatch(event: Event): void {
    if (this.closed) return;
    for (const listener of this.listeners.get(event.type) ?? []) listener(event);
  }
}
