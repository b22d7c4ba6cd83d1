import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type MsgRequest,
  type StoredMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  DrainingConnectionError,
  RequestError,
  TimeoutError,
  connect,
  headers,
  nanos,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import type { BusConfig } from '../config.ts';
import type { RequestOrigin } from '../domain/audit.ts';
import type { EphemeralSignal, RoomEvent } from '../domain/events.ts';
import { within } from '../deadline.ts';
import { HearthError, isHearthError } from '../errors.ts';
import type {
  Bus,
  CommandHandler,
  CommandReply,
  CommandRequest,
  ConsumeObserver,
  RoomEventListener,
  SignalListener,
  StreamUsage,
  Subscription,
} from './bus.ts';
import { Fanout } from './fanout.ts';

type NatsBusConfig = Extract<BusConfig, { type: 'nats' }>;

export interface BusNatsOptions {
  /** Receives what a listener or command handler threw, and trouble of the live event feed; delivery carries on. */
  readonly onError?: (error: unknown) => void;
  readonly onConsumed?: ConsumeObserver;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const COMMAND_QUEUE_GROUP = 'messaging';
/** Long enough to cover an outbox relay's retries after a messaging or NATS restart. */
const DUPLICATE_WINDOW_MS = 5 * 60_000;
/**
 * The stream also feeds live subscribers, so a room keeps at least this many events even
 * with a smaller replayLimit: a subscriber a little behind must not lose one to trimming.
 * (NATS reads max_msgs_per_subject 0 as "unlimited", so 0 could not be passed through anyway.)
 */
const MIN_KEPT_PER_ROOM = 100;
const PUBLISH_TIMEOUT_MS = 5_000;
/**
 * About 12 s in all: in a cluster, an R3 stream whose leader was killed answers no one until its
 * followers elect another, which takes a few seconds.
 */
const PUBLISH_BACKOFF_MS = [100, 250, 500, 1_000, 1_000, 1_000, 2_000, 2_000, 2_000, 2_000];
const PING_TIMEOUT_MS = 5_000;
const DRAIN_TIMEOUT_MS = 5_000;
/** Up to this many missed events a replay reads one by one; more take one consumer fetch. */
const REPLAY_GET_MAX = 8;
const REPLAY_FETCH_EXPIRES_MS = 2_000;
/** nats.js pings every 2 minutes by default; a dead server would go unnoticed for minutes. */
const PING_INTERVAL_MS = 20_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;
/** nats-server's JetStream error code for "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10_058;
/** How long a stream of several replicas may take to elect a leader before its requests fail. */
const STREAM_ELECTION_MS = 15_000;
/** Heartbeats come every half pull expiry: two missed in a row is a consumer whose server is gone. */
const SILENT_HEARTBEATS = 2;
/** Consumer notices only a serving stream gives (a pull's expiry, a consumer made); the others come from the client too. */
const signsOfLife: ReadonlySet<string> = new Set(['discard', 'ordered_consumer_recreated']);

/** The subjects and stream of one Hearth instance (DESIGN.md §2). */
export interface NatsNames {
  readonly commands: string;
  readonly roomEvents: string;
  readonly signals: string;
  readonly stream: string;
}

export function natsNames(instance: string): NatsNames {
  return {
    commands: `hearth.${instance}.cmd.`,
    roomEvents: `hearth.${instance}.evt.room.`,
    signals: `hearth.${instance}.eph.`,
    stream: `HEARTH_${instance.toUpperCase().replaceAll('-', '_')}_EVENTS`,
  };
}

/**
 * The server tiers' bus: commands are core NATS requests to the `messaging` queue group,
 * room events go through a JetStream stream (de-duplicated by `<roomId>:<seq>`, replayable,
 * each room keeping its latest events), and signals are plain core NATS messages.
 */
/** How long one pull request of the live feed waits before it is renewed. */
const PULL_EXPIRES_MS = 5_000;
/** A consumer that shows no sign of life (message, heartbeat, a pull's end) for this long is replaced. */
const SILENT_MS = 2 * PULL_EXPIRES_MS;

export class BusNats implements Bus {
  readonly #nc: NatsConnection;
  readonly #watch: ConnectionWatch;
  readonly #jsm: JetStreamManager;
  readonly #js: JetStreamClient;
  readonly #names: NatsNames;
  readonly #onError: (error: unknown) => void;
  readonly #onConsumed: ConsumeObserver;
  readonly #replay: RoomReplay;
  readonly #roomEvents: Fanout<RoomEvent>;
  readonly #signals: Fanout<EphemeralSignal>;
  readonly #answering = new Set<Promise<void>>();
  #feed: RoomFeed | undefined;
  #signalSubscription: NatsSubscription | undefined;
  #registration: NatsSubscription | undefined;
  #closing: Promise<void> | undefined;

  private constructor(nc: NatsConnection, jsm: JetStreamManager, watch: ConnectionWatch, names: NatsNames, options: BusNatsOptions) {
    this.#nc = nc;
    this.#watch = watch;
    this.#jsm = jsm;
    this.#js = jsm.jetstream();
    this.#names = names;
    this.#onError = options.onError ?? warn;
    this.#onConsumed = options.onConsumed ?? (() => undefined);
    this.#replay = new RoomReplay(jsm, names);
    this.#roomEvents = new Fanout(this.#onError);
    this.#signals = new Fanout(this.#onError);
  }

  /** Connects, and creates or updates the instance's event stream; refuses with a message naming NATS and the servers. */
  static async connect(config: NatsBusConfig, options: BusNatsOptions = {}): Promise<BusNats> {
    const where = `NATS at ${config.servers.join(', ')}`;
    const watch = new ConnectionWatch();
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: [...config.servers],
        name: `hearth-${config.instance}`,
        ...(config.credentials === undefined ? {} : { user: config.credentials.user, pass: config.credentials.pass }),
        maxReconnectAttempts: -1,
        pingInterval: PING_INTERVAL_MS,
        reconnectDelayHandler: () => watch.reconnectDelay(),
      });
    } catch (error) {
      throw new HearthError('unavailable', `cannot connect to ${where}: ${messageOf(error)}`, { cause: error });
    }
    watch.follow(nc);
    const names = natsNames(config.instance);
    try {
      const jsm = await whileElecting(() => jetstreamManager(nc));
      await ensureStream(jsm, desiredStream(names, config.replayLimit, config.streamReplicas ?? 1, config.streamMaxBytes ?? 0));
      return new BusNats(nc, jsm, watch, names, options);
    } catch (error) {
      await nc.close();
      throw new HearthError('unavailable', `cannot set up the JetStream stream ${names.stream} on ${where}: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * The deadline covers the whole exchange. "No responders" (no messaging process subscribed,
   * as during a rolling restart) is retried until the deadline, since nobody saw the command;
   * a timeout is not, since a handler may be working on it.
   */
  async request(request: CommandRequest, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<CommandReply> {
    this.#assertOpen();
    const subject = this.#names.commands + subjectTokens(request.name, 'command name');
    const body = JSON.stringify({ payload: request.payload, traceparent: request.traceparent, origin: request.origin });
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      await this.#watch.connected(deadline - Date.now());
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw noAnswer();
      try {
        const reply = await this.#nc.request(subject, body, { timeout: remaining, ...traceHeaders(request.traceparent) });
        return parseReply(reply);
      } catch (error) {
        if (!isNoResponders(error)) throw isHearthError(error) ? error : noAnswer(error);
        await sleep(Math.min(backoffMs(attempt), Math.max(deadline - Date.now(), 0)));
        this.#assertOpen();
      }
    }
  }

  handleCommands(handler: CommandHandler): Subscription {
    this.#assertOpen();
    if (this.#registration !== undefined) throw new Error('BusNats: a command handler is already registered');
    const subscription = this.#nc.subscribe(`${this.#names.commands}>`, {
      queue: COMMAND_QUEUE_GROUP,
      callback: (error, msg) => {
        if (error !== null) this.#onError(error);
        else this.#track(this.#answer(handler, msg));
      },
    });
    this.#registration = subscription;
    return {
      unsubscribe: () => {
        if (this.#registration !== subscription) return;
        this.#registration = undefined;
        // Commands already received still get their replies; drain only stops new ones.
        subscription.drain().catch(this.#onError);
      },
    };
  }

  async publishRoomEvent(event: RoomEvent): Promise<void> {
    this.#assertOpen();
    const subject = this.#names.roomEvents + subjectTokens(event.roomId, 'room id', true);
    // A process's own subscription is in place before its own publishes, as with BusLocal.
    await this.#feed?.ready;
    const data = JSON.stringify(event);
    for (let attempt = 0; ; attempt += 1) {
      await this.#watch.connected(PUBLISH_TIMEOUT_MS);
      this.#assertOpen();
      try {
        const options = { msgID: `${event.roomId}:${event.seq}`, timeout: PUBLISH_TIMEOUT_MS, ...traceHeaders(event.traceparent) };
        await this.#js.publish(subject, data, options);
        return;
      } catch (error) {
        if (attempt + 1 >= PUBLISH_BACKOFF_MS.length || !isRetryable(error)) {
          throw new HearthError('unavailable', `cannot publish room event ${event.roomId}:${event.seq} to NATS: ${messageOf(error)}`, {
            cause: error,
          });
        }
        await sleep(PUBLISH_BACKOFF_MS[attempt] ?? 0);
      }
    }
  }

  /** Every subscribing process sees every event published after it subscribed (a fan-out, not a work queue). */
  subscribeRoomEvents(listener: RoomEventListener): Subscription {
    this.#assertOpen();
    this.#feed ??= new RoomFeed({
      jsm: this.#jsm,
      names: this.#names,
      onError: this.#onError,
      deliver: (event) => this.#roomEvents.publish(event),
      onConsumed: this.#onConsumed,
      isClosed: () => this.#nc.isClosed(),
    });
    return this.#roomEvents.subscribe(listener);
  }

  async replayRoom(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[] | null> {
    this.#assertOpen();
    const subject = this.#names.roomEvents + subjectTokens(roomId, 'room id', true);
    try {
      return await this.#replay.after(subject, afterSeq, limit);
    } catch (error) {
      throw new HearthError('unavailable', `cannot read room ${roomId} from the NATS stream: ${messageOf(error)}`, { cause: error });
    }
  }

  async publishSignal(signal: EphemeralSignal): Promise<void> {
    this.#assertOpen();
    try {
      this.#nc.publish(this.#names.signals + subjectTokens(signal.type, 'signal type'), JSON.stringify(signal));
    } catch (error) {
      throw new HearthError('unavailable', `cannot publish a signal to NATS: ${messageOf(error)}`, { cause: error });
    }
  }

  subscribeSignals(listener: SignalListener): Subscription {
    this.#assertOpen();
    this.#signalSubscription ??= this.#nc.subscribe(`${this.#names.signals}>`, {
      callback: (error, msg) => {
        if (error !== null) this.#onError(error);
        else this.#decode<EphemeralSignal>(msg, (signal) => this.#signals.publish(signal));
      },
    });
    return this.#signals.subscribe(listener);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    try {
      await within(this.#nc.rtt(), PING_TIMEOUT_MS, () => new Error('NATS did not answer a ping'));
    } catch (error) {
      throw new HearthError('unavailable', `NATS is not answering: ${messageOf(error)}`, { cause: error });
    }
    // A process that fans events out is not ready while its feed of them is down: its clients
    // would wait for events it cannot hear (a new stream of several replicas elects a leader first).
    if (this.#feed !== undefined && !this.#feed.isRunning()) throw new HearthError('unavailable', 'the live feed of room events from NATS is not running yet');
  }

  async streamUsage(): Promise<StreamUsage> {
    this.#assertOpen();
    const [stream, account] = await Promise.all([this.#jsm.streams.info(this.#names.stream), this.#jsm.getAccountInfo()]);
    const streamLimit = stream.config.max_bytes > 0 ? stream.config.max_bytes : null;
    const accountLimit = account.limits.max_storage > 0 ? account.limits.max_storage : null;
    const received = this.#feed?.lastStreamSeq();
    const consumerPending = received === undefined ? null : Math.max(0, stream.state.last_seq - received);
    return { bytes: stream.state.bytes, maxBytes: streamLimit ?? accountLimit, consumerPending };
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Stops taking commands, lets the ones in hand answer, then drains what is left. */
  async #shutdown(): Promise<void> {
    const registration = this.#registration;
    this.#registration = undefined;
    await registration?.drain().catch(() => undefined);
    await Promise.allSettled([...this.#answering]);
    await this.#feed?.stop();
    this.#roomEvents.clear();
    this.#signals.clear();
    try {
      await within(this.#nc.drain(), DRAIN_TIMEOUT_MS, () => new Error('drain timed out'));
    } catch {
      // Already closed, or the server is gone: nothing left to flush.
    } finally {
      await this.#nc.close().catch(() => undefined);
    }
  }

  async #answer(handler: CommandHandler, msg: Msg): Promise<void> {
    const reply = await answer(handler, msg, this.#names.commands, this.#onError);
    try {
      msg.respond(JSON.stringify(reply));
    } catch (error) {
      this.#onError(error);
    }
  }

  #track(work: Promise<void>): void {
    this.#answering.add(work);
    void work.finally(() => this.#answering.delete(work));
  }

  #decode<T>(msg: Msg, deliver: (value: T) => void): void {
    let value: T;
    try {
      value = msg.json<T>();
    } catch (error) {
      this.#onError(new Error(`BusNats: undecodable message on ${msg.subject}`, { cause: error }));
      return;
    }
    deliver(value);
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new HearthError('unavailable', 'the bus is closed');
  }
}

/**
 * The one JetStream ordered consumer a bus reads live room events from, shared by its
 * listeners. It starts after the stream's last message rather than with deliver policy
 * "new": an ordered consumer recreates itself (after a server restart, say) from the last
 * stream sequence it delivered, and one that had delivered nothing would start from 1 and
 * replay the whole stream. Should the consumer stop for good, it is reopened after the last
 * stream sequence delivered.
 */
class RoomFeed {
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

  /** Keeps trying until the consumer runs; `attempted` is told after the first try either way. */
  async #open(attempted: () => void): Promise<void> {
    for (let attempt = 0; !this.#stopped && !this.#deps.isClosed(); attempt += 1) {
      const opened = await this.#consume().then(
        () => true,
        (error: unknown) => {
          this.#deps.onError(new Error(`BusNats: cannot open the room event consumer: ${messageOf(error)}`, { cause: error }));
          return false;
        },
      );
      attempted();
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

  #closed(result: void | Error): void {
    this.#running = false;
    if (this.#stopped || this.#deps.isClosed()) return;
    const why = this.#silent ? `silent for ${SILENT_MS / 1_000} s, its server gone` : result instanceof Error ? result.message : 'no reason given';
    this.#silent = false;
    this.#deps.onError(new Error(`BusNats: the room event consumer stopped (${why}); reopening it`, { cause: result }));
    void this.#open(() => undefined);
  }
}

interface RoomFeedDeps {
  readonly jsm: JetStreamManager;
  readonly names: NatsNames;
  readonly onError: (error: unknown) => void;
  readonly deliver: (event: RoomEvent) => void;
  readonly onConsumed: ConsumeObserver;
  readonly isClosed: () => boolean;
}

/**
 * Reads one room's events back from the stream. A room's events sit in the stream in seq
 * order, interleaved with other rooms', so the first one wanted is found by binary search
 * over stream sequences with "next message of this subject at or after" reads.
 */
class RoomReplay {
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

/**
 * Follows the connection's state. nats.js v3 discards what was written while disconnected
 * when it reconnects, so a publish or request made during an outage is lost and only times
 * out; waiting for the reconnect first lets it go through at once.
 *
 * nats.js also asks for the wait before each reconnect attempt without saying how many
 * failed, so the back-off grows with the length of the outage instead.
 */
class ConnectionWatch {
  #connected = true;
  #since: number | undefined;
  #reconnected = Promise.withResolvers<void>();

  reconnectDelay(): number {
    const now = Date.now();
    this.#since ??= now;
    const wait = Math.min(RECONNECT_MAX_MS, Math.max(RECONNECT_MIN_MS, (now - this.#since) / 4));
    return Math.round(wait * (0.8 + Math.random() * 0.4));
  }

  follow(nc: NatsConnection): void {
    void (async () => {
      for await (const status of nc.status()) this.#observe(status.type);
    })().catch(() => undefined);
    void nc.closed().then(() => this.#reconnected.resolve());
  }

  /** Resolves once connected, or after `ms` regardless: the caller's own timeout then speaks. */
  async connected(ms: number): Promise<void> {
    if (this.#connected) return;
    await within(this.#reconnected.promise, ms, () => new Error('still disconnected')).catch(() => undefined);
  }

  #observe(type: string): void {
    if (type === 'disconnect') {
      this.#connected = false;
    } else if (type === 'reconnect') {
      this.#connected = true;
      this.#since = undefined;
      this.#reconnected.resolve();
      this.#reconnected = Promise.withResolvers<void>();
    }
  }
}

interface DesiredStream {
  readonly name: string;
  /** Set when the stream is created; the server refuses to change these later. */
  readonly fixed: Partial<StreamConfig>;
  /** Kept up to date on every start. */
  readonly owned: Partial<StreamConfig>;
}

function desiredStream(names: NatsNames, replayLimit: number, replicas: number, maxBytes: number): DesiredStream {
  return {
    name: names.stream,
    fixed: { storage: StorageType.File, retention: RetentionPolicy.Limits },
    owned: {
      // nats-server 2.10 and later move a stream between R1 and R3 in place.
      num_replicas: replicas,
      subjects: [`${names.roomEvents}>`],
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: Math.max(replayLimit, MIN_KEPT_PER_ROOM),
      // Full, the stream drops its oldest events (discard old): a replay that misses them reads the store.
      max_bytes: maxBytes > 0 ? maxBytes : -1,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    },
  };
}

/**
 * Creates the stream, or brings the settings Hearth owns up to date (its replicas among them).
 * Settings it does not own are left as they are. Safe to run from many processes at once.
 */
async function ensureStream(jsm: JetStreamManager, desired: DesiredStream): Promise<void> {
  const { name, owned } = desired;
  const info = async (): Promise<StreamConfig> => (await whileElecting(() => jsm.streams.info(name))).config;
  let current: StreamConfig;
  try {
    current = await info();
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
    try {
      await whileElecting(() => jsm.streams.add({ name, ...desired.fixed, ...owned }));
      return;
    } catch (addError) {
      // Another process created it in between; fall through to compare settings.
      if (!isApiError(addError, STREAM_NAME_IN_USE)) throw addError;
      current = await info();
    }
  }
  const stale = Object.entries(owned).some(([key, value]) => JSON.stringify(current[key as keyof StreamConfig]) !== JSON.stringify(value));
  if (stale) await jsm.streams.update(name, owned);
}

/**
 * A stream of several replicas answers nothing until its replicas have elected a leader: just
 * after it was created, or after its leader's server went; and a cluster answers 503 "JetStream
 * system temporarily unavailable" until its servers have elected a meta leader, as when a process
 * starts beside a cluster that is still forming. Within STREAM_ELECTION_MS, a request that timed
 * out or was answered 503 is tried again; anything else is final.
 */
async function whileElecting<T>(request: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + STREAM_ELECTION_MS;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      if (!isElecting(error) || Date.now() > deadline) throw error;
      await sleep(backoffMs(attempt));
    }
  }
}

function toCommandRequest(msg: Msg, prefix: string): CommandRequest {
  const name = msg.subject.slice(prefix.length);
  const body = msg.json<{ payload?: unknown; traceparent?: unknown; origin?: unknown }>();
  const headerTrace = msg.headers?.get('traceparent') ?? '';
  const traceparent = typeof body.traceparent === 'string' ? body.traceparent : headerTrace;
  const origin = originOf(body.origin);
  return { name, payload: body.payload ?? null, ...(traceparent === '' ? {} : { traceparent }), ...(origin === null ? {} : { origin }) };
}

/** The request origin a command carries, if it is well-formed (it came over the wire). */
function originOf(value: unknown): RequestOrigin | null {
  if (typeof value !== 'object' || value === null) return null;
  const { ip, userAgent } = value as { ip?: unknown; userAgent?: unknown };
  return typeof ip === 'string' && typeof userAgent === 'string' ? { ip, userAgent } : null;
}

/** A handler that throws, or a body that is not JSON, gets the same reply shape as BusLocal gives. */
async function answer(handler: CommandHandler, msg: Msg, prefix: string, onError: (error: unknown) => void): Promise<CommandReply> {
  let request: CommandRequest;
  try {
    request = toCommandRequest(msg, prefix);
  } catch {
    return { ok: false, error: { code: 'invalid_json', message: 'the command body is not JSON' } };
  }
  try {
    return await handler(request);
  } catch (error) {
    if (isHearthError(error)) return { ok: false, error: error.toJSON().error };
    onError(error);
    return { ok: false, error: { code: 'internal', message: 'the command handler failed' } };
  }
}

function parseReply(msg: Msg): CommandReply {
  const reply = msg.json<CommandReply>();
  if (typeof reply !== 'object' || reply === null || typeof reply.ok !== 'boolean') {
    throw new HearthError('internal', 'the command handler sent a reply that is not a CommandReply');
  }
  return reply;
}

/** The W3C trace context as a NATS header, where tracing tools look for it. */
function traceHeaders(traceparent: string | undefined): { headers?: MsgHdrs } {
  if (traceparent === undefined) return {};
  const header = headers();
  header.set('traceparent', traceparent);
  return { headers: header };
}

/** Refuses what would change a subject's shape: wildcards, spaces, and (for single tokens) dots. */
function subjectTokens(value: string, what: string, single = false): string {
  const token = single ? /^[^\s.*>]+$/ : /^[^\s.*>]+(\.[^\s.*>]+)*$/;
  if (!token.test(value)) throw new HearthError('invalid_request', `the ${what} "${value}" cannot be part of a NATS subject`);
  return value;
}

function isNoResponders(error: unknown): boolean {
  return error instanceof RequestError && error.isNoResponders();
}

/**
 * A publish carries a message id, so trying again after a timeout cannot store it twice.
 * JetStream answers 503 while it is starting or electing a leader; other API errors are final.
 */
function isRetryable(error: unknown): boolean {
  if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError) return false;
  return !(error instanceof JetStreamApiError) || error.status === 503;
}

function isElecting(error: unknown): boolean {
  return error instanceof TimeoutError || (error instanceof JetStreamApiError && error.status === 503);
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

function backoffMs(attempt: number): number {
  return Math.min(50 * 2 ** attempt, 1_000);
}

function noAnswer(cause?: unknown): HearthError {
  return new HearthError('unavailable', 'no messaging handler answered', cause === undefined ? {} : { cause });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Without an onError a listener's failure still shows up, on stderr, rather than vanishing. */
function warn(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : String(error), { code: 'HEARTH_BUS_LISTENER' });
}
