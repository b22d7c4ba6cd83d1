import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import { within } from '../deadline.ts';
import type { EphemeralSignal, RoomEvent } from '../domain/events.ts';
import { HearthError } from '../errors.ts';
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
import { NatsCommands } from './nats-commands.ts';
import { connectWatched, drainAndClose, serversOf, type NatsBusConfig, type WatchedConnection } from './nats-connection.ts';
import { unavailable } from './nats-errors.ts';
import { RoomEventPublisher } from './nats-event-publisher.ts';
import { natsNames, subjectTokens, type NatsNames } from './nats-names.ts';
import { whileElecting } from './nats-retry.ts';
import { RoomFeed } from './nats-room-feed.ts';
import { RoomReplay } from './nats-room-replay.ts';
import { desiredStream, ensureStream, readStreamUsage } from './nats-stream.ts';

export { natsNames, type NatsNames } from './nats-names.ts';

export interface BusNatsOptions {
  /** Receives what a listener or command handler threw, and trouble of the live event feed; delivery carries on. */
  readonly onError?: (error: unknown) => void;
  readonly onConsumed?: ConsumeObserver;
  /** Told of each room event the live feed took from an announcement, ahead of the stream. */
  readonly onAnnounced?: () => void;
}

const PING_TIMEOUT_MS = 5_000;
/** How long a publish waits for its own process's live feed to know where it starts. */
const FEED_READY_MS = 5_000;

/**
 * The server tiers' bus: commands are core NATS requests to the `messaging` queue group,
 * room events go through a JetStream stream (de-duplicated by `<roomId>:<seq>`, replayable,
 * each room keeping its latest events), and signals are plain core NATS messages.
 *
 * It composes one part per job: NatsCommands (requests and their replies), RoomEventPublisher
 * (storing events), RoomFeed (the live feed of them), RoomReplay (reading a room back); signals,
 * health and shutdown are its own.
 */
export class BusNats implements Bus {
  readonly #nc: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #names: NatsNames;
  readonly #onError: (error: unknown) => void;
  readonly #onConsumed: ConsumeObserver;
  readonly #onAnnounced: () => void;
  readonly #commands: NatsCommands;
  readonly #publisher: RoomEventPublisher;
  readonly #replay: RoomReplay;
  readonly #roomEvents: Fanout<RoomEvent>;
  readonly #signals: Fanout<EphemeralSignal>;
  #feed: RoomFeed | undefined;
  #announcements: NatsSubscription | undefined;
  #signalSubscription: NatsSubscription | undefined;
  #closing: Promise<void> | undefined;

  private constructor(connection: WatchedConnection, jsm: JetStreamManager, names: NatsNames, options: BusNatsOptions) {
    const { nc, watch } = connection;
    const assertOpen = (): void => this.#assertOpen();
    this.#nc = nc;
    this.#jsm = jsm;
    this.#names = names;
    this.#onError = options.onError ?? warn;
    this.#onConsumed = options.onConsumed ?? (() => undefined);
    this.#onAnnounced = options.onAnnounced ?? (() => undefined);
    this.#commands = new NatsCommands({ nc, watch, prefix: names.commands, onError: this.#onError, assertOpen });
    this.#publisher = new RoomEventPublisher({ js: jsm.jetstream(), watch, assertOpen });
    this.#replay = new RoomReplay(jsm, names);
    this.#roomEvents = new Fanout(this.#onError);
    this.#signals = new Fanout(this.#onError);
  }

  /** Connects, and creates or updates the instance's event stream; refuses with a message naming NATS and the servers. */
  static async connect(config: NatsBusConfig, options: BusNatsOptions = {}): Promise<BusNats> {
    const connection = await connectWatched(config);
    const names = natsNames(config.instance);
    try {
      const jsm = await whileElecting(() => jetstreamManager(connection.nc));
      const settings = { replayLimit: config.replayLimit, replicas: config.streamReplicas ?? 1, maxBytes: config.streamMaxBytes ?? 0 };
      await ensureStream(jsm, desiredStream(names, settings));
      return new BusNats(connection, jsm, names, options);
    } catch (error) {
      await connection.nc.close();
      throw unavailable(`cannot set up the JetStream stream ${names.stream} on ${serversOf(config)}`, error);
    }
  }

  async request(request: CommandRequest, timeoutMs?: number): Promise<CommandReply> {
    this.#assertOpen();
    return this.#commands.request(request, timeoutMs);
  }

  handleCommands(handler: CommandHandler): Subscription {
    this.#assertOpen();
    return this.#commands.handle(handler);
  }

  async publishRoomEvent(event: RoomEvent): Promise<void> {
    this.#assertOpen();
    const subject = this.#names.roomEvents + subjectTokens(event.roomId, 'room id', true);
    // A process's own subscription is in place before its own publishes, as with BusLocal; but a
    // feed that cannot reach the stream does not hold publishing up for longer than a publish may take.
    if (this.#feed !== undefined) await within(this.#feed.ready, FEED_READY_MS, () => new Error('feed not ready')).catch(() => undefined);
    await this.#publisher.publish(subject, event);
  }

  /** A plain core NATS message, so it costs the publisher no acknowledgement and may be lost; the stream still has the event. */
  announceRoomEvent(event: RoomEvent): void {
    if (this.#closing !== undefined) return;
    try {
      this.#nc.publish(this.#names.announced + subjectTokens(event.roomId, 'room id', true), JSON.stringify(event));
    } catch (error) {
      this.#onError(new Error(`BusNats: cannot announce room event ${event.roomId}:${event.seq}`, { cause: error }));
    }
  }

  /** Every subscribing process sees every event published after it subscribed (a fan-out, not a work queue). */
  subscribeRoomEvents(listener: RoomEventListener): Subscription {
    this.#assertOpen();
    if (this.#feed === undefined) {
      const feed = new RoomFeed({
        jsm: this.#jsm,
        names: this.#names,
        onError: this.#onError,
        deliver: (event) => this.#roomEvents.publish(event),
        onConsumed: this.#onConsumed,
        onAnnounced: this.#onAnnounced,
        isClosed: () => this.#nc.isClosed(),
      });
      this.#feed = feed;
      this.#announcements = this.#subscribeDecoded<RoomEvent>(`${this.#names.announced}>`, (event) => feed.announced(event));
    }
    return this.#roomEvents.subscribe(listener);
  }

  async replayRoom(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[] | null> {
    this.#assertOpen();
    const subject = this.#names.roomEvents + subjectTokens(roomId, 'room id', true);
    try {
      return await this.#replay.after(subject, afterSeq, limit);
    } catch (error) {
      throw unavailable(`cannot read room ${roomId} from the NATS stream`, error);
    }
  }

  async publishSignal(signal: EphemeralSignal): Promise<void> {
    this.#assertOpen();
    try {
      this.#nc.publish(this.#names.signals + subjectTokens(signal.type, 'signal type'), JSON.stringify(signal));
    } catch (error) {
      throw unavailable('cannot publish a signal to NATS', error);
    }
  }

  subscribeSignals(listener: SignalListener): Subscription {
    this.#assertOpen();
    this.#signalSubscription ??= this.#subscribeDecoded<EphemeralSignal>(`${this.#names.signals}>`, (signal) => this.#signals.publish(signal));
    return this.#signals.subscribe(listener);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    try {
      await within(this.#nc.rtt(), PING_TIMEOUT_MS, () => new Error('NATS did not answer a ping'));
    } catch (error) {
      throw unavailable('NATS is not answering', error);
    }
    // A process that fans events out is not ready while its feed of them is down: its clients
    // would wait for events it cannot hear (a new stream of several replicas elects a leader first).
    if (this.#feed !== undefined && !this.#feed.isRunning()) throw new HearthError('unavailable', 'the live feed of room events from NATS is not running yet');
  }

  async streamUsage(): Promise<StreamUsage> {
    this.#assertOpen();
    return readStreamUsage(this.#jsm, this.#names.stream, () => this.#feed?.lastStreamSeq());
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Stops taking commands, lets the ones in hand answer, then drains what is left. */
  async #shutdown(): Promise<void> {
    await this.#commands.stop();
    this.#announcements?.unsubscribe();
    await this.#feed?.stop();
    this.#roomEvents.clear();
    this.#signals.clear();
    await drainAndClose(this.#nc);
  }

  /** A core NATS subscription whose messages are JSON values; one that does not decode is reported and skipped. */
  #subscribeDecoded<T>(subject: string, deliver: (value: T) => void): NatsSubscription {
    return this.#nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error !== null) this.#onError(error);
        else this.#decode<T>(msg, deliver);
      },
    });
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

/** Without an onError a listener's failure still shows up, on stderr, rather than vanishing. */
function warn(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : String(error), { code: 'HEARTH_BUS_LISTENER' });
}
