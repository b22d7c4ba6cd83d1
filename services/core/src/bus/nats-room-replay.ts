import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type MsgRequest, type StoredMsg } from '@nats-io/jetstream';
import type { RoomEvent } from '../domain/events.ts';
import type { NatsNames } from './nats-names.ts';

/** Up to this many missed events a replay reads one by one; more take one consumer fetch. */
const REPLAY_GET_MAX = 8;
const REPLAY_FETCH_EXPIRES_MS = 2_000;

/**
 * Reads one room's events back from the stream. A room's events sit in the stream in seq
 * order, interleaved with other rooms', so the first one wanted is found by binary search
 * over stream sequences with "next message of this subject at or after" reads.
 */
export class RoomReplay {
  readonly #jsm: JetStreamManager;
  readonly #js: JetStreamClient;
  readonly #stream: string;

  constructor(jsm: JetStreamManager, names: NatsNames) {
    this.#jsm = jsm;
    this.#js = jsm.jetstream();
    this.#stream = names.stream;
  }

  /**
   * Answers as BusLocal does: null when the stream holds nothing of the room, [] when
   * afterSeq is at or past its latest event, otherwise the run from afterSeq + 1, or null
   * when that was trimmed or the run has a gap.
   */
  async after(subject: string, afterSeq: number, limit: number): Promise<RoomEvent[] | null> {
    const last = await this.#get({ last_by_subj: subject });
    if (last === null) return null;
    if (afterSeq >= last.event.seq) return [];
    const first = await this.#find(subject, afterSeq + 1, last);
    if (first === null || first.event.seq !== afterSeq + 1) return null;
    const count = Math.min(Math.max(limit, 0), last.event.seq - afterSeq);
    if (count === 0) return [];
    const read = count <= REPLAY_GET_MAX ? await this.#readByGets(subject, first, count) : await this.#readByFetch(subject, first, count);
    return runFrom(read, afterSeq + 1, count);
  }

  /** The room's first stored event with seq >= target; `last` is its latest. */
  async #find(subject: string, target: number, last: Stored): Promise<Stored | null> {
    const first = await this.#next(subject, 1);
    if (first === null || first.event.seq >= target) return first;
    // Invariant: the next event at or after stream seq `low` is below target, at `high` it is not.
    let low = first.streamSeq;
    let high = last.streamSeq;
    let found = last;
    while (high - low > 1) {
      const mid = low + Math.floor((high - low) / 2);
      const probe = await this.#next(subject, mid);
      if (probe === null) return null;
      if (probe.event.seq >= target) {
        high = mid;
        found = probe;
      } else {
        low = probe.streamSeq;
      }
    }
    return found;
  }

  async #readByGets(subject: string, first: Stored, count: number): Promise<RoomEvent[]> {
    const events = [first.event];
    let at = first;
    while (events.length < count) {
      const next = await this.#next(subject, at.streamSeq + 1);
      if (next === null) break;
      events.push(next.event);
      at = next;
    }
    return events;
  }

  /** One ordered consumer from `first`, fetching no more than it reports pending, so the fetch never waits for new events. */
  async #readByFetch(subject: string, first: Stored, count: number): Promise<RoomEvent[]> {
    const consumer = await this.#js.consumers.get(this.#stream, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: first.streamSeq,
    });
    try {
      const pending = (await consumer.info(true)).num_pending;
      const events: RoomEvent[] = [];
      if (pending === 0) return events;
      const messages = await consumer.fetch({ max_messages: Math.min(count, pending), expires: REPLAY_FETCH_EXPIRES_MS });
      for await (const msg of messages) events.push(msg.json<RoomEvent>());
      return events;
    } finally {
      consumer.delete().catch(() => undefined);
    }
  }

  #next(subject: string, fromStreamSeq: number): Promise<Stored | null> {
    // STREAM.MSG.GET has taken next_by_subj since nats-server 2.9; the client's type for it lags.
    return this.#get({ seq: fromStreamSeq, next_by_subj: subject } as unknown as MsgRequest);
  }

  async #get(query: MsgRequest): Promise<Stored | null> {
    const stored = await this.#jsm.streams.getMessage(this.#stream, query);
    return stored === null ? null : toStored(stored);
  }
}

interface Stored {
  readonly streamSeq: number;
  readonly event: RoomEvent;
}

function toStored(stored: StoredMsg): Stored {
  return { streamSeq: stored.seq, event: stored.json<RoomEvent>() };
}

/**
 * The `count` events from seq `from` on without a gap, or null. A seq below the one expected
 * is a re-publish stored again after the duplicate window, and is skipped as the feed does.
 */
function runFrom(events: readonly RoomEvent[], from: number, count: number): RoomEvent[] | null {
  const run: RoomEvent[] = [];
  for (const event of events) {
    const expected = from + run.length;
    if (event.seq < expected) continue;
    if (event.seq !== expected) return null;
    run.push(event);
  }
  return run.length === count ? run : null;
}
