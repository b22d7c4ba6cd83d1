import type { RoomEvent } from '@hearth/core';

/** What a connection offers live delivery (Connection.offerAll). */
export interface LiveTarget {
  /** Returns how many of the events it dropped (a connection closed for falling behind). */
  offerAll(events: readonly RoomEvent[], onCatchUp: (work: Promise<void>) => void): number;
}

/** How long one turn of delivery may hold the event loop before pings, presence and HTTP get a turn. */
const SLICE_MS = 5;
/** Connections served between looks at the clock: reading it costs about as much as a send. */
const CLOCK_EVERY = 32;

/** One room's waiting events and the connections they go to, served from `next` on. */
interface Batch {
  readonly events: readonly RoomEvent[];
  readonly targets: readonly LiveTarget[];
  /** When serving it began (ms since the epoch). */
  readonly startedAt: number;
  next: number;
  /** Events not written to a connection that had fallen behind, so far. */
  dropped: number;
}

export interface LiveDeliveryDeps {
  /** The connections streaming a room now. */
  readonly connectionsIn: (roomId: string) => Iterable<LiveTarget>;
  /** Receives the catch-up an event started on a connection (a gap), to report its failure. */
  readonly onCatchUp: (work: Promise<void>) => void;
  /** A room's batch has been written to every connection in it (`dropped` frames not): for metrics and traces. */
  readonly delivered: (batch: DeliveredBatch) => void;
}

export interface DeliveredBatch {
  readonly events: readonly RoomEvent[];
  readonly connections: number;
  readonly dropped: number;
  /** When serving it began (ms since the epoch). */
  readonly startedAt: number;
}

/**
 * Live room events on their way to this process's connections.
 *
 * The bus hands events over one at a time as it reads them. Sending each to every
 * connection there and then holds the event loop for as long as the room is large;
 * under load that reached seconds, and pings, presence and HTTP starved. Instead
 * events wait here and are sent from a callback of their own, at most SLICE_MS at a
 * time. What arrives meanwhile goes out together: each connection gets a room's
 * waiting events in one write, so the busier the room, the fewer system calls per
 * frame.
 *
 * Order: a batch is taken in arrival order and finished for every connection before
 * the next batch of the same room starts, so each connection sees a room's events in
 * order. A connection that joins a room mid-batch catches up from the store, which
 * holds every event before it was published.
 */
export class LiveDelivery {
  readonly #deps: LiveDeliveryDeps;
  #waiting: RoomEvent[] = [];
  #batches: Batch[] = [];
  /**
   * Per room that had connections when its latest batch was made: the highest seq of the
   * batches made so far. A connection that joins later gets none of those batches, and every
   * later event (waiting, or still to come) is batched with it among the targets.
   */
  readonly #passed = new Map<string, number>();
  #scheduled = false;
  #closed = false;

  constructor(deps: LiveDeliveryDeps) {
    this.#deps = deps;
  }

  push(event: RoomEvent): void {
    if (this.#closed) return;
    this.#waiting.push(event);
    this.#schedule();
  }

  /**
   * The highest seq of a room that went out to the connections then in the room; undefined
   * when the room had none (or no event has come yet), as then nothing is known of its seqs.
   */
  passedSeq(roomId: string): number | undefined {
    return this.#passed.get(roomId);
  }

  close(): void {
    this.#closed = true;
    this.#waiting = [];
    this.#batches = [];
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // After the I/O phase, so every event read from the bus in this turn joins the batch.
    setImmediate(() => this.#run());
  }

  #run(): void {
    this.#scheduled = false;
    const deadline = performance.now() + SLICE_MS;
    while (!this.#closed) {
      if (this.#batches.length === 0) {
        if (this.#waiting.length === 0) return;
        this.#batches = this.#batchesOf(this.#waiting);
        this.#waiting = [];
      }
      const batch = this.#batches[0] as Batch;
      if (!this.#serve(batch, deadline)) return this.#schedule();
      this.#batches.shift();
      this.#deps.delivered({ events: batch.events, connections: batch.targets.length, dropped: batch.dropped, startedAt: batch.startedAt });
    }
  }

  /** Serves the batch's connections until done (true) or the slice is over (false). */
  #serve(batch: Batch, deadline: number): boolean {
    const { targets, events } = batch;
    for (let i = batch.next; i < targets.length; i++) {
      batch.dropped += (targets[i] as LiveTarget).offerAll(events, this.#deps.onCatchUp);
      if ((i + 1) % CLOCK_EVERY === 0 && performance.now() > deadline) {
        batch.next = i + 1;
        return false;
      }
    }
    return true;
  }

  /** One batch per room, the room's events in arrival order; its connections as they are now. */
  #batchesOf(events: readonly RoomEvent[]): Batch[] {
    const byRoom = new Map<string, RoomEvent[]>();
    for (const event of events) {
      const list = byRoom.get(event.roomId);
      if (list === undefined) byRoom.set(event.roomId, [event]);
      else list.push(event);
    }
    const startedAt = Date.now();
    return [...byRoom].map(([roomId, roomEvents]) => {
      const targets = [...this.#deps.connectionsIn(roomId)];
      this.#pass(roomId, roomEvents, targets.length);
      return { events: roomEvents, targets, startedAt, next: 0, dropped: 0 };
    });
  }

  /**
   * Keeps #passed to the rooms with connections: a room without any is forgotten, so it never
   * answers from an old seq. A maximum is enough because both buses hand a room's events over
   * in increasing seq (a re-publish at or below the latest is dropped before it gets here).
   */
  #pass(roomId: string, events: readonly RoomEvent[], connections: number): void {
    if (connections === 0) {
      this.#passed.delete(roomId);
      return;
    }
    let highest = this.#passed.get(roomId) ?? 0;
    for (const event of events) highest = Math.max(highest, event.seq);
    this.#passed.set(roomId, highest);
  }
}
