import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy, type ConsumerMessages, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { RoomEvent } from '../domain/events.ts';
import type { ConsumeObserver } from './bus.ts';
import { messageOf } from './nats-errors.ts';
import type { NatsNames } from './nats-names.ts';
import { backoffMs, whileElecting } from './nats-retry.ts';

/** How long one pull request of the live feed waits before it is renewed. */
const PULL_EXPIRES_MS = 5_000;
/** A consumer that shows no sign of life (message, heartbeat, a pull's end) for this long is replaced. */
const SILENT_MS = 2 * PULL_EXPIRES_MS;
/** Heartbeats come every half pull expiry: two missed in a row is a consumer whose server is gone. */
const SILENT_HEARTBEATS = 2;
/** Consumer notices only a serving stream gives (a pull's expiry, a consumer made); the others come from the client too. */
const signsOfLife: ReadonlySet<string> = new Set(['discard', 'ordered_consumer_recreated']);

/**
 * The one JetStream ordered consumer a bus reads live room events from, shared by its
 * listeners. It starts after the stream's last message rather than with deliver policy
 * "new": an ordered consumer recreates itself (after a server restart, say) from the last
 * stream sequence it delivered, and one that had delivered nothing would start from 1 and
 * replay the whole stream. Should the consumer stop for good, it is reopened after the last
 * stream sequence delivered.
 */
export class RoomFeed {
  readonly ready: Promise<void>;
  readonly #deps: RoomFeedDeps;
  /** Highest seq delivered per room: a seq at or below it is a re-publish and is dropped. */
  readonly #latest = new Map<string, number>();
  #nextStreamSeq = 0;
  #messages: ConsumerMessages | undefined;
  #stopped = false;
  /** The consumer was closed for its silence (#abandonWhenSilent), not by the server. */
  #silent = false;
  /** When the stream last showed it serves this consumer (#abandonWhenSilent). */
  #heardAt = 0;
  #running = false;

  isRunning(): boolean {
    return this.#running;
  }

  /** The last stream sequence this feed received, or the stream's end when it opened. */
  lastStreamSeq(): number {
    return Math.max(0, this.#nextStreamSeq - 1);
  }

  constructor(deps: RoomFeedDeps) {
    this.#deps = deps;
    const firstAttempt = Promise.withResolvers<void>();
    this.ready = firstAttempt.promise;
    void this.#open(firstAttempt.resolve);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#messages?.close().catch(() => undefined);
  }

  /**
   * Keeps trying until the consumer runs. `attempted` is told after the first try that knew where
   * to start, whether the consumer then ran or not: an event published before the start position
   * is read would be skipped, so a process's own publishes wait for it (BusNats.publishRoomEvent).
   */
  async #open(attempted: () => void): Promise<void> {
    for (let attempt = 0; !this.#stopped && !this.#deps.isClosed(); attempt += 1) {
      const opened = await this.#consume().then(
        () => true,
        (error: unknown) => {
          this.#deps.onError(new Error(`BusNats: cannot open the room event consumer: ${messageOf(error)}`, { cause: error }));
          return false;
        },
      );
      if (this.#nextStreamSeq > 0) attempted();
      if (opened) return;
      await sleep(backoffMs(attempt));
    }
    attempted();
  }

  async #consume(): Promise<void> {
    const { jsm, names } = this.#deps;
    if (this.#nextStreamSeq === 0) this.#nextStreamSeq = (await whileElecting(() => jsm.streams.info(names.stream))).state.last_seq + 1;
    const consumer = await whileElecting(() =>
      jsm.jetstream().consumers.get(names.stream, {
        filter_subjects: `${names.roomEvents}>`,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: this.#nextStreamSeq,
      }),
    );
    // A short pull expiry: after a nats-server restart a pull answered 409 would otherwise sit
    // until two heartbeats of the default 30 s expiry are missed, stalling live delivery.
    const messages = await consumer.consume({ callback: (msg) => this.#receive(msg), expires: PULL_EXPIRES_MS });
    if (this.#stopped) {
      await messages.close();
      return;
    }
    this.#messages = messages;
    this.#running = true;
    void messages.closed().then((result) => this.#closed(result));
    void this.#abandonWhenSilent(messages);
  }

  /**
   * An ordered consumer lives on one server of a cluster. Killed with it, the client may wait for
   * that server to come back, however long it takes, while the stream's other replicas serve on;
   * and it may wait silently (no missed-heartbeat notice comes while the connection itself is
   * fine), or busily: without a stream leader every pull is answered "no responders" and pulled
   * again, a notice each time. So only what a serving stream sends counts as life: a message, a
   * pull's end (`discard`: the server expired an idle pull), a consumer made again. A consumer
   * heard from by none of these for SILENT_MS is closed, and #closed opens a new one on a server
   * that answers, from the next stream sequence (a seq delivered twice is dropped by #receive).
   */
  async #abandonWhenSilent(messages: ConsumerMessages): Promise<void> {
    this.#heardAt = Date.now();
    const abandon = (): void => {
      clearInterval(timer);
      this.#silent = true;
      void messages.close().catch(() => undefined);
    };
    const timer = setInterval(() => {
      if (Date.now() - this.#heardAt > SILENT_MS) abandon();
    }, SILENT_MS / 4);
    try {
      for await (const status of messages.status()) {
        if (signsOfLife.has(status.type)) this.#heardAt = Date.now();
        if (status.type === 'heartbeats_missed' && status.count >= SILENT_HEARTBEATS) abandon();
      }
    } finally {
      clearInterval(timer);
    }
  }

  #receive(msg: JsMsg): void {
    this.#heardAt = Date.now();
    this.#nextStreamSeq = msg.seq + 1;
    this.#deps.onConsumed(Math.max(0, Date.now() - msg.info.timestampNanos / 1e6) / 1_000);
    let event: RoomEvent;
    try {
      event = msg.json<RoomEvent>();
    } catch (error) {
      this.#deps.onError(new Error(`BusNats: undecodable room event at stream sequence ${msg.seq}`, { cause: error }));
      return;
    }
    if (event.seq <= (this.#latest.get(event.roomId) ?? 0)) return;
    this.#latest.set(event.roomId, event.seq);
    this.#deps.deliver(event);
  }

  /**
   * An event announced ahead of the stream (Bus.announceRoomEvent) is taken only as the next of a
   * room this feed follows. Anything else waits for the stream, which brings every event in order:
   * an announcement lost, or overtaken by a later one, never makes a gap, and a room this feed has
   * not yet heard of starts from the stream. What is taken here, the stream's copy then drops.
   */
  announced(event: RoomEvent): void {
    const latest = this.#latest.get(event.roomId);
    if (latest === undefined || event.seq !== latest + 1) return;
    this.#latest.set(event.roomId, event.seq);
    this.#deps.onAnnounced();
    this.#deps.deliver(event);
  }

  #closed(result: void | Error): void {
    this.#running = false;
    if (this.#stopped || this.#deps.isClosed()) return;
    const why = this.#silent ? `silent for ${SILENT_MS / 1_000} s, its server gone` : result instanceof Error ? result.message : 'no reason given';
    this.#silent = false;
    this.#deps.onError(new Error(`BusNats: the room event consumer stopped (${why}); reopening it`, { cause: result }));
    void this.#open(() => undefined);
  }
}

export interface RoomFeedDeps {
  readonly jsm: JetStreamManager;
  readonly names: NatsNames;
  readonly onError: (error: unknown) => void;
  readonly deliver: (event: RoomEvent) => void;
  readonly onConsumed: ConsumeObserver;
  /** Told of each event taken from an announcement, ahead of the stream. */
  readonly onAnnounced: () => void;
  readonly isClosed: () => boolean;
}
