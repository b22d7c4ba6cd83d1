import { CLOSE_CODES, newId, type CloseReason, type RoomEvent, type ServerFrame, type SignedIn } from '@hearth/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { RoomStream, type RoomStreamIo } from './room-stream.ts';

export type TransportKind = 'websocket' | 'sse';

/** What a connection needs from its socket; WebSocket and SSE each provide one. */
export interface Transport {
  readonly kind: TransportKind;
  /** Queues a frame; frame-json.ts encodes it, a room event once for all connections. */
  send(frame: ServerFrame): void;
  /** Bytes queued in the socket that the client has not read yet. */
  bufferedBytes(): number;
  /** Holds writes until `uncork`, so the frames of a burst leave in one system call. */
  cork(): void;
  uncork(): void;
  close(code: number, reason: CloseReason): void;
}

/**
 * What a connection asks of the process. One object serves every connection of a transport:
 * each hook is told which connection calls, so a connection holds no closures of its own.
 */
export interface ConnectionHooks {
  /** Stored events of a room with seq > afterSeq, oldest first, at most `limit` (a catch-up read). */
  loadEvents(connection: Connection, roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]>;
  /**
   * Registers the connection for the room's live events. Returns true when every event after
   * `afterSeq` is still to reach it live, so catching up from the store would read nothing.
   */
  roomJoined(connection: Connection, roomId: string, afterSeq: number): boolean;
  roomLeft(connection: Connection, roomId: string): void;
  readonly maxBufferedBytes: number;
  /** The connection fell too far behind: the frame is dropped and the connection closed. */
  tooSlow(connection: Connection): void;
}

const PACE_POLL_MS = 5;

/**
 * Ends a stream that could not be opened, as protocol §4.4 says: an error frame, then the close.
 * The message is the public one; what failed (hosts, queries) is for the caller to log.
 */
export function refuseStream(transport: Transport, reason: CloseReason, message: string): void {
  transport.send({ type: 'error', code: reason, message });
  transport.close(CLOSE_CODES[reason], reason);
}

/** A backend failed while a stream was opening: the client reconnects with resume, and loses nothing. */
export const UNAVAILABLE_STREAM_MESSAGE = 'the service is temporarily unavailable; reconnect with resume';

/** One client connection of one user: its rooms' streams and the frames it is sent. */
export class Connection {
  readonly id = newId();
  /** Only the ids of the signed-in user and session: the rest of them is not needed after the stream opens. */
  readonly userId: string;
  readonly sessionId: string;
  readonly #transport: Transport;
  readonly #hooks: ConnectionHooks;
  readonly #rooms = new Map<string, RoomStream>();
  /** Frames that arrive before `ready` wait here: the protocol promises `ready` comes first. */
  #early: ServerFrame[] | null = [];
  #closed = false;

  constructor(signedIn: SignedIn, transport: Transport, hooks: ConnectionHooks) {
    this.userId = signedIn.user.id;
    this.sessionId = signedIn.session.id;
    this.#transport = transport;
    this.#hooks = hooks;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get transportKind(): TransportKind {
    return this.#transport.kind;
  }

  hasRoom(roomId: string): boolean {
    return this.#rooms.has(roomId);
  }

  roomIds(): string[] {
    return [...this.#rooms.keys()];
  }

  /**
   * Starts streaming a room after `afterSeq`: registers for live events first, then catches up,
   * unless the hub says nothing after `afterSeq` has gone by yet (then the store has nothing to add).
   */
  joinRoom(roomId: string, afterSeq: number): Promise<void> {
    if (this.#closed || this.#rooms.has(roomId)) return Promise.resolve();
    const stream = new RoomStream(roomId, afterSeq, new ConnectionRoomIo(this, roomId));
    this.#rooms.set(roomId, stream);
    if (this.#hooks.roomJoined(this, roomId, afterSeq)) return Promise.resolve();
    return stream.catchUp();
  }

  /** A catch-up read of one of this connection's rooms. */
  loadEvents(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    return this.#hooks.loadEvents(this, roomId, afterSeq, limit);
  }

  leaveRoom(roomId: string): void {
    const stream = this.#rooms.get(roomId);
    if (stream === undefined) return;
    stream.close();
    this.#rooms.delete(roomId);
    this.#hooks.roomLeft(this, roomId);
  }

  /** A live event; returns the catch-up it started, if it revealed a gap (see RoomStream.offer). */
  offer(event: RoomEvent): Promise<void> | undefined {
    return this.#rooms.get(event.roomId)?.offer(event);
  }

  /**
   * Live events of one room, in order, written to the socket together: one system call
   * for the lot instead of one per frame. `onCatchUp` gets any catch-up an event started.
   * Returns how many of them were dropped because the connection was (or got) closed.
   */
  offerAll(events: readonly RoomEvent[], onCatchUp: (work: Promise<void>) => void): number {
    let dropped = 0;
    this.#transport.cork();
    try {
      for (const event of events) {
        // A connection closed for falling behind gets no more frames: this event is dropped
        // (it resumes from its last seq and loses nothing, but the frame was not written).
        if (this.#closed) {
          dropped += 1;
          continue;
        }
        const work = this.offer(event);
        if (work !== undefined) onCatchUp(work);
        if (this.#closed) dropped += 1;
      }
    } finally {
      this.#transport.uncork();
    }
    return dropped;
  }

  send(frame: ServerFrame): void {
    if (this.#closed) return;
    if (this.#early !== null) {
      if (frame.type !== 'ready') {
        this.#early.push(frame);
        return;
      }
      const early = this.#early;
      this.#early = null;
      this.send(frame);
      for (const waiting of early) this.send(waiting);
      return;
    }
    // A client that stops reading must not hold memory or delay others: past the
    // limit it is told to resume, and resuming loses nothing.
    if (this.#transport.bufferedBytes() > this.#hooks.maxBufferedBytes) {
      this.#hooks.tooSlow(this);
      this.close('too_slow', 'the connection fell behind; reconnect with resume');
      return;
    }
    this.#transport.send(frame);
  }

  /**
   * Waits while the client has a lot unread. Catch-up sends as fast as the client
   * reads, so a big backlog cannot trip the too_slow limit that live frames obey.
   */
  async pace(): Promise<void> {
    const high = this.#hooks.maxBufferedBytes / 2;
    if (this.#transport.bufferedBytes() <= high) return;
    while (!this.#closed && this.#transport.bufferedBytes() > high / 2) await sleep(PACE_POLL_MS);
  }

  close(reason: CloseReason, message: string): void {
    if (this.#closed) return;
    this.#transport.send({ type: 'error', code: reason, message });
    this.#closed = true;
    for (const roomId of [...this.#rooms.keys()]) this.leaveRoom(roomId);
    this.#transport.close(CLOSE_CODES[reason], reason);
  }

  /** Marks the connection gone after the peer went away (no frame can be sent). */
  dropped(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const roomId of [...this.#rooms.keys()]) this.leaveRoom(roomId);
  }

  /** A room event, in its room's order (RoomStream decides when). */
  sendEvent(event: RoomEvent): void {
    this.send({ type: 'room.event', event });
    // Removal is the last event of that room this member receives.
    if (event.type === 'membership.removed' && event.userId === this.userId) this.leaveRoom(event.roomId);
  }
}

/** How one room's stream reads and sends through its connection: two fields, where closures would cost a context each. */
class ConnectionRoomIo implements RoomStreamIo {
  readonly #connection: Connection;
  readonly #roomId: string;

  constructor(connection: Connection, roomId: string) {
    this.#connection = connection;
    this.#roomId = roomId;
  }

  load(afterSeq: number, limit: number): Promise<RoomEvent[]> {
    return this.#connection.loadEvents(this.#roomId, afterSeq, limit);
  }

  send(event: RoomEvent): void {
    this.#connection.sendEvent(event);
  }

  pace(): Promise<void> {
    return this.#connection.pace();
  }
}
