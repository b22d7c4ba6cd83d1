import { setTimeout } from 'node:timers/promises';
import type { RoomEvent } from '@hearth/core';

const PAGE = 500;

/** How a room stream reads the store, hands an event on, and waits for a client that is behind. */
export interface RoomStreamIo {
  /** Reads stored events of the room with seq > afterSeq, oldest first, at most `limit`. */
  load(afterSeq: number, limit: number): Promise<RoomEvent[]>;
  send(event: RoomEvent): void;
  /** Resolves when the client can take more; catch-up awaits it before each stored event. */
  pace?(): Promise<void>;
}

/**
 * One room's events for one connection, delivered in sequence order, each once.
 * Live events that arrive while the stream is catching up (or that reveal a gap)
 * wait in `pending` and are released once the store has filled everything before
 * them: subscribe first, catch up second, never lose what arrived in between.
 */
export class RoomStream {
  readonly roomId: string;
  #lastSeq: number;
  #pending: RoomEvent[] | null = null;
  #closed = false;
  /** Held whole and called as methods: one object per stream, not a closure per operation. */
  readonly #io: RoomStreamIo;

  constructor(roomId: string, afterSeq: number, io: RoomStreamIo) {
    this.roomId = roomId;
    this.#lastSeq = afterSeq;
    this.#io = io;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Sends everything after the starting sequence from the store, then whatever arrived live meanwhile. */
  catchUp(): Promise<void> {
    this.#pending ??= [];
    return this.#fill();
  }

  /**
   * A live event from the bus. Returns the catch-up it started when the event reveals a
   * gap, else nothing: an in-order event costs no promise, as it goes to every connection.
   */
  offer(event: RoomEvent): Promise<void> | undefined {
    if (this.#closed || event.seq <= this.#lastSeq) return undefined;
    if (this.#pending !== null) {
      this.#pending.push(event);
      return undefined;
    }
    if (event.seq === this.#lastSeq + 1) {
      this.#deliver(event);
      return undefined;
    }
    // A gap: something before this event has not reached us; the store has it.
    this.#pending = [event];
    return this.#fill();
  }

  close(): void {
    this.#closed = true;
    this.#pending = null;
  }

  #deliver(event: RoomEvent): void {
    if (this.#closed || event.seq !== this.#lastSeq + 1) return;
    this.#lastSeq = event.seq;
    this.#io.send(event);
  }

  async #fill(): Promise<void> {
    let idleRounds = 0;
    while (!this.#closed) {
      const page = await this.#io.load(this.#lastSeq, PAGE);
      for (const event of page) {
        if (this.#io.pace !== undefined) await this.#io.pace();
        this.#deliver(event);
      }
      if (page.length === PAGE) continue;
      if (this.#releasePending()) return;
      // Events are published only after they commit, so the store should already hold
      // the gap; if it does not yet (a lagging read), back off instead of spinning.
      idleRounds = page.length === 0 ? idleRounds + 1 : 0;
      if (idleRounds > 0) await setTimeout(Math.min(1_000, 10 * 2 ** idleRounds));
    }
  }

  /** Delivers pending events that now follow on; returns false if a gap remains. */
  #releasePending(): boolean {
    const pending = (this.#pending ?? []).sort((a, b) => a.seq - b.seq);
    for (const [i, event] of pending.entries()) {
      if (event.seq <= this.#lastSeq) continue;
      if (event.seq !== this.#lastSeq + 1) {
        this.#pending = pending.slice(i);
        return false;
      }
      this.#deliver(event);
    }
    this.#pending = null;
    return true;
  }
}
